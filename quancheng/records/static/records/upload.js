/*
 * The upload page's tus 1.0 client (上传记录). No dependencies; served by the platform (CSP 'self').
 *
 * Per file: create an upload (POST), send it in chunks (PATCH, XMLHttpRequest for progress
 * events), then ask the page's attach URL to make it a segment or document of the act. The upload
 * URL is kept in localStorage under a fingerprint of the file (act, name, size, lastModified), so
 * after a dropped connection or a page reload, choosing the same file again asks the server how
 * far it got (HEAD → Upload-Offset) and goes on from there.
 */
(function () {
  "use strict";

  var form = document.getElementById("upload-form");
  if (!form) {
    return;
  }
  var TUS = "1.0.0";
  var act = form.dataset.act;
  var endpoint = form.dataset.endpoint;
  var attachUrl = form.dataset.attachUrl;
  var chunkSize = parseInt(form.dataset.chunkSize, 10) || 8 * 1024 * 1024;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var input = document.getElementById("upload-files");
  var list = document.getElementById("upload-list");
  var startButton = document.getElementById("upload-start");
  var rowTemplate = document.getElementById("upload-row");
  var entries = [];
  var running = false;
  // Opened from the act page's checklist (?return=checklist): when every file is registered,
  // go back to the checklist, where the page says what changed and what is still missing.
  var returnUrl = form.dataset.returnUrl;
  var autoReturn = form.dataset.return === "checklist";

  var DOCUMENT_EXTENSIONS = /\.(pdf|jpe?g|png|tiff?)$/i;

  function fingerprint(file) {
    return "qc-tus:" + [act, file.name, file.size, file.lastModified].join("|");
  }

  function base64(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary);
  }

  // Sizes in KB/MB/GB and speeds in MB/s, one decimal: as quancheng/lib/units.py writes them.
  function formatSize(n) {
    var units = ["KB", "MB", "GB", "TB"];
    var size = n / 1024;
    for (var i = 0; i < units.length - 1 && size >= 1024; i++) {
      size /= 1024;
    }
    return size.toFixed(1) + " " + units[i];
  }

  function formatRate(bytesPerSecond) {
    return (bytesPerSecond / 1024 / 1024).toFixed(1) + " MB/s";
  }

  function setStatus(entry, text, state) {
    entry.status.textContent = text;
    entry.status.className = "upload-status" + (state ? " is-" + state : "");
    entry.row.dataset.state = state || "";
  }

  function showProgress(entry, offset) {
    var size = entry.file.size;
    var percent = size ? Math.floor((offset / size) * 100) : 100;
    entry.progress.value = percent;
    entry.percent.textContent = percent + "%";
    var seconds = (performance.now() - entry.startedAt) / 1000;
    var sent = offset - entry.startOffset;
    if (seconds > 0 && sent > 0) {
      entry.speed.textContent = formatRate(sent / seconds);
    }
  }

  function addEntry(file) {
    var fragment = rowTemplate.content.cloneNode(true);
    var row = fragment.querySelector(".upload-row");
    var entry = {
      file: file,
      row: row,
      kind: row.querySelector(".upload-kind"),
      progress: row.querySelector(".upload-progress"),
      percent: row.querySelector(".upload-percent"),
      speed: row.querySelector(".upload-speed"),
      status: row.querySelector(".upload-status"),
      done: false,
    };
    row.querySelector(".upload-name").textContent = file.name;
    row.querySelector(".upload-size").textContent = formatSize(file.size);
    entry.kind.value = DOCUMENT_EXTENSIONS.test(file.name) ? "document" : "segment";
    row.dataset.kind = entry.kind.value;
    entry.kind.addEventListener("change", function () {
      row.dataset.kind = entry.kind.value;
    });
    list.appendChild(fragment);
    if (file.size === 0) {
      entry.done = true;
      setStatus(entry, "空文件（0 字节）不能上传", "error");
    } else if (localStorage.getItem(fingerprint(file))) {
      setStatus(entry, "此文件曾上传过一部分，开始上传后将从中断处继续", "");
    }
    entries.push(entry);
  }

  input.addEventListener("change", function () {
    if (running) {
      return;
    }
    list.textContent = "";
    entries = [];
    Array.prototype.forEach.call(input.files, addEntry);
    startButton.disabled = entries.length === 0;
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (running) {
      return;
    }
    running = true;
    startButton.disabled = true;
    var queue = entries.filter(function (e) {
      return !e.done;
    });
    (function next() {
      var entry = queue.shift();
      if (!entry) {
        running = false;
        startButton.disabled = !entries.some(function (e) {
          return !e.done;
        });
        finished();
        return;
      }
      upload(entry).then(next, function (error) {
        setStatus(entry, error.message, "error");
        next();
      });
    })();
  });

  /* One tus request through XMLHttpRequest; resolves with the xhr whatever its status. */
  function request(method, url, headers, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", TUS);
      xhr.setRequestHeader("X-CSRFToken", csrf);
      Object.keys(headers).forEach(function (name) {
        xhr.setRequestHeader(name, headers[name]);
      });
      if (onProgress) {
        xhr.upload.addEventListener("progress", function (e) {
          onProgress(e.loaded);
        });
      }
      xhr.onload = function () {
        resolve(xhr);
      };
      xhr.onerror = xhr.onabort = function () {
        reject(new Error("network"));
      };
      xhr.send(body === undefined ? null : body);
    });
  }

  function serverMessage(xhr, fallback) {
    try {
      return JSON.parse(xhr.responseText).message || fallback;
    } catch (e) {
      return fallback;
    }
  }

  /* Where to continue: the stored upload URL and its offset, or a new upload. */
  function resumeOrCreate(entry) {
    var key = fingerprint(entry.file);
    var stored = localStorage.getItem(key);
    var resumed = stored
      ? request("HEAD", stored, {}).then(function (xhr) {
          if (xhr.status === 200) {
            return { url: stored, offset: parseInt(xhr.getResponseHeader("Upload-Offset"), 10) };
          }
          localStorage.removeItem(key); // gone, terminated or someone else's: start again
          return null;
        })
      : Promise.resolve(null);
    return resumed.then(function (found) {
      if (found) {
        return found;
      }
      var metadata = [
        "filename " + base64(entry.file.name),
        "act " + base64(String(act)),
      ];
      if (entry.file.type) {
        metadata.push("filetype " + base64(entry.file.type));
      }
      return request("POST", endpoint, {
        "Upload-Length": String(entry.file.size),
        "Upload-Metadata": metadata.join(","),
      }).then(function (xhr) {
        if (xhr.status !== 201) {
          throw new Error(serverMessage(xhr, "无法创建上传（" + xhr.status + "）"));
        }
        var url = xhr.getResponseHeader("Location");
        localStorage.setItem(key, url);
        return { url: url, offset: 0 };
      });
    });
  }

  /* The chunk's bytes and their tus Upload-Checksum ("sha256 <Base64>"), so that the server
     refuses (460) a chunk altered on the way. WebCrypto exists only in a secure context (HTTPS,
     or the loopback address): elsewhere the chunk goes without a checksum (docs/uploads.md). */
  function checksummed(blob) {
    if (!(window.crypto && window.crypto.subtle)) {
      return Promise.resolve({ body: blob, checksum: null });
    }
    return blob.arrayBuffer().then(function (bytes) {
      return window.crypto.subtle.digest("SHA-256", bytes).then(function (digest) {
        var binary = "";
        new Uint8Array(digest).forEach(function (b) {
          binary += String.fromCharCode(b);
        });
        return { body: bytes, checksum: "sha256 " + btoa(binary) };
      });
    });
  }

  var CHECKSUM_MISMATCH = 460;
  var CHECKSUM_RETRIES = 3;

  function sendChunks(entry, url, offset, failures) {
    var size = entry.file.size;
    if (offset >= size) {
      return Promise.resolve(url);
    }
    var end = Math.min(offset + chunkSize, size);
    return checksummed(entry.file.slice(offset, end)).then(function (chunk) {
      var headers = {
        "Content-Type": "application/offset+octet-stream",
        "Upload-Offset": String(offset),
      };
      if (chunk.checksum) {
        headers["Upload-Checksum"] = chunk.checksum;
      }
      return request("PATCH", url, headers, chunk.body, function (loaded) {
        showProgress(entry, offset + loaded);
      });
    }).then(function (xhr) {
      var serverOffset = parseInt(xhr.getResponseHeader("Upload-Offset"), 10);
      if (xhr.status === 204 || (xhr.status === 409 && !isNaN(serverOffset))) {
        showProgress(entry, serverOffset);
        return sendChunks(entry, url, serverOffset, 0);
      }
      if (xhr.status === CHECKSUM_MISMATCH && (failures || 0) < CHECKSUM_RETRIES) {
        return sendChunks(entry, url, offset, (failures || 0) + 1); // altered on the way: again
      }
      throw new Error(serverMessage(xhr, "上传失败（" + xhr.status + "）"));
    });
  }

  function attach(entry, url) {
    var row = entry.row;
    var data = new FormData();
    data.append("upload_id", url.replace(/\/+$/, "").split("/").pop());
    data.append("kind", entry.kind.value);
    ["doc_type", "number", "written_started_at", "written_ended_at"].forEach(function (name) {
      data.append(name, row.querySelector("[name=" + name + "]").value);
    });
    if (row.querySelector("[name=is_evidence]").checked) {
      data.append("is_evidence", "on");
    }
    if (autoReturn) {
      data.append("return", "checklist"); // the act page then says what was added
    }
    return fetch(attachUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    }).then(function (response) {
      return response.json().then(
        function (body) {
          return { ok: response.ok, body: body };
        },
        function () {
          return { ok: false, body: { message: "登记失败（" + response.status + "）" } };
        }
      );
    });
  }

  function addItemRow(item) {
    var tbody = document.querySelector("#act-records tbody");
    var empty = tbody.querySelector(".empty-row");
    if (empty) {
      empty.remove();
    }
    if (tbody.querySelector('tr[data-kind="' + item.kind + '"][data-id="' + item.id + '"]')) {
      return;
    }
    var tr = document.createElement("tr");
    tr.dataset.kind = item.kind;
    tr.dataset.id = item.id;
    var detail = item.kind === "document" ? item.doc_type + " " + item.number : item.content_type;
    [item.kind_display, item.filename, detail, formatSize(item.size), item.sha256.slice(0, 16) + "…", "刚刚"].forEach(
      function (text, i) {
        var td = document.createElement("td");
        if (i === 1 && item.url) {
          var a = document.createElement("a");
          a.href = item.url;
          a.textContent = text;
          td.appendChild(a);
        } else {
          td.textContent = text;
        }
        tr.appendChild(td);
      }
    );
    tbody.appendChild(tr);
  }

  function finished() {
    var allDone = entries.length > 0 && entries.every(function (e) {
      return e.row.dataset.state === "done";
    });
    if (!allDone) {
      return;
    }
    var back = document.getElementById("upload-return");
    if (back) {
      back.hidden = false;
    }
    if (autoReturn && returnUrl) {
      window.location.assign(returnUrl);
    }
  }

  function upload(entry) {
    entry.startedAt = performance.now();
    entry.startOffset = 0;
    setStatus(entry, "正在上传…", "uploading");
    return resumeOrCreate(entry)
      .then(function (found) {
        entry.startOffset = found.offset;
        entry.url = found.url;
        showProgress(entry, found.offset);
        if (found.offset > 0) {
          setStatus(entry, "从 " + formatSize(found.offset) + " 处继续上传…", "uploading");
        }
        return sendChunks(entry, found.url, found.offset);
      })
      .catch(function (error) {
        if (error.message === "network") {
          throw new Error("网络连接中断，已上传的部分已保存。重新选择同一文件后点击开始上传即可继续。");
        }
        throw error;
      })
      .then(function (url) {
        setStatus(entry, "上传完成，正在登记…", "uploading");
        return attach(entry, url);
      })
      .then(function (result) {
        if (!result.ok) {
          throw new Error(result.body.message || "登记失败");
        }
        localStorage.removeItem(fingerprint(entry.file));
        entry.done = true;
        entry.row.dataset.sha256 = result.body.item.sha256;
        setStatus(entry, result.body.message + "（SHA-256 " + result.body.item.sha256 + "）", "done");
        addItemRow(result.body.item);
      });
  }
})();
