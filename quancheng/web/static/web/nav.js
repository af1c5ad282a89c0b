// 全程: the navigation's menus (base.html). Each menu is a <details>, usable without this script;
// the script adds what <details> lacks: Escape closes, one menu open at a time, a click
// elsewhere closes, and on a phone one button shows or hides the whole navigation.
(function () {
  "use strict";
  const root = document.documentElement;
  root.classList.add("nav-js");
  const phone = window.matchMedia("(max-width: 768px)");

  // A table or <pre> that scrolls sideways inside itself (narrow screens, quancheng.css) must be
  // reachable by keyboard, or its hidden part cannot be read without a mouse (WCAG 2.1.1; axe's
  // scrollable-region-focusable): such a box gets tabindex=0 and a name, and loses them again
  // when the screen is wide enough.
  function markScrollBoxes() {
    for (const box of document.querySelectorAll("main table, main pre")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.dataset.scrollBox = "1";
        if (box.tagName === "TABLE" && !box.hasAttribute("aria-label")) {
          const caption = box.querySelector("caption");
          box.setAttribute("aria-label", (caption ? caption.textContent.trim() + "，" : "") + "可左右滚动");
        }
      } else if (!scrolls && box.dataset.scrollBox) {
        box.removeAttribute("tabindex");
        delete box.dataset.scrollBox;
      }
    }
  }

  function ready() {
    markScrollBoxes();
    window.addEventListener("resize", markScrollBoxes);
    const nav = document.getElementById("mainnav");
    const toggle = document.querySelector(".nav-toggle");
    if (!nav) {
      return;
    }
    const menus = Array.from(nav.querySelectorAll("details.navmenu"));

    function closeMenus(except) {
      for (const menu of menus) {
        if (menu !== except && menu.open) {
          menu.open = false;
        }
      }
    }

    function showNav(show) {
      nav.classList.toggle("open", show);
      if (toggle) {
        toggle.setAttribute("aria-expanded", show ? "true" : "false");
      }
      // On a phone the whole navigation opens at once: every menu unfolded.
      for (const menu of menus) {
        menu.open = show && !menu.classList.contains("account");
      }
    }

    for (const menu of menus) {
      menu.addEventListener("toggle", function () {
        if (menu.open && !phone.matches) {
          closeMenus(menu);
        }
      });
    }

    if (toggle) {
      toggle.addEventListener("click", function () {
        showNav(!nav.classList.contains("open"));
      });
    }

    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      const menu = event.target.closest ? event.target.closest("details.navmenu") : null;
      if (menu && menu.open && !phone.matches) {
        menu.open = false;
        menu.querySelector("summary").focus();
        return;
      }
      if (phone.matches && nav.classList.contains("open")) {
        showNav(false);
        if (toggle) {
          toggle.focus();
        }
        return;
      }
      const open = menus.find(function (m) { return m.open; });
      if (open) {
        open.open = false;
        open.querySelector("summary").focus();
      }
    });

    document.addEventListener("click", function (event) {
      if (!phone.matches && !nav.contains(event.target)) {
        closeMenus(null);
      }
    });

    phone.addEventListener("change", function () {
      showNav(false);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
