# Shared by scripts/run and scripts/test; sourced, never run on its own.
#
# It finds a Python 3.11+, makes the virtual environment .venv inside the repository, installs
# the project into it (skipped when nothing changed) and installs Debian packages when root.

QC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$QC_ROOT/.venv"
PY="$VENV/bin/python"
CONSTRAINTS="$QC_ROOT/requirements/constraints.txt"

# Debian packages the platform needs at run time. Add to this list, not around it:
#   fonts-noto-cjk        embeddable CJK font for PDFs with Chinese text
#   libharfbuzz-subset0   WeasyPrint's font subsetting (without it a document takes seconds)
#   postgresql-client     pg_dump and pg_restore for `manage.py backup` / `restore` (PostgreSQL)
#   nginx                 the front end scripts/run puts before gunicorn (slow clients)
#   poppler-utils         pdffonts/pdftoppm: image-only PDF scans read by OCR (content/scans.py)
#   libgl1 libglib2.0-0   what opencv-python (required by rapidocr-onnxruntime, the OCR of
#                         docs/content-analysis.md) links against; cv2 does not import without
QC_RUNTIME_DEBS=(
    fonts-noto-cjk libharfbuzz-subset0 postgresql-client nginx poppler-utils libgl1 libglib2.0-0
)
# Debian packages the tests need on top: the browser test drives Debian's chromium through
# Playwright (pip's playwright brings its driver; its own browser download cannot work here);
# poppler-utils (a runtime package above) also checks the signed documents in tests
# (pdfsig/pdffonts/pdftotext), independently of pyHanko.
# nodejs and npm run the reference tus client, tus-js-client, installed from npm by its test.
# openssl (besides nginx and postgresql-client above) for scripts/deploy-check, which performs
# docs/deployment.md on loopback (quancheng/tests_deploy).
QC_TEST_DEBS=(chromium nodejs openssl)
# A nodejs from elsewhere (e.g. NodeSource's) brings its own npm, and Debian's npm package cannot
# be installed beside it: ask for Debian's only when no npm is on PATH.
command -v npm >/dev/null 2>&1 || QC_TEST_DEBS+=(npm)

say() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# The first python3 on PATH that is 3.11 or newer.
find_python() {
  local candidate
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# The listed Debian packages that are not installed (nothing on a machine without dpkg).
missing_debs() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q 'install ok installed' ||
      echo "$package"
  done
}

# True when apt has no candidate for one of the packages, i.e. its lists are empty or stale.
_apt_needs_update() {
  local package
  for package in "$@"; do
    apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [^(]' || return 0
  done
  return 1
}

# ensure_debs PACKAGE...: root installs what is missing; anyone else is told the command.
ensure_debs() {
  local missing
  missing=$(missing_debs "$@" | tr '\n' ' ')
  missing=${missing% }
  [ -z "$missing" ] && return 0
  if ! command -v apt-get >/dev/null 2>&1; then
    warn "not a Debian system: install the equivalents of: $missing"
    return 0
  fi
  if ! is_root; then
    warn "missing Debian packages; an administrator should run:"
    warn "  apt-get update && apt-get install -y --no-install-recommends $missing"
    return 0
  fi
  say "installing Debian packages: $missing"
  # shellcheck disable=SC2086 # $missing is a list of package names
  if _apt_needs_update $missing; then
    apt-get update -qq || return 1
  fi
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; then
    # Stale package lists point at files the mirror no longer has: refresh once and retry.
    apt-get update -qq || return 1
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing ||
      return 1
  fi
}

_venv_works() {
  [ -x "$PY" ] &&
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null &&
    "$PY" -m pip --version >/dev/null 2>&1
}

# Make .venv unless a working one is there.
ensure_venv() {
  _venv_works && return 0
  local python
  python=$(find_python) || die "Python 3.11 or newer is needed (python3 on PATH is older or missing)"
  say "creating the virtual environment .venv with $python"
  if ! "$python" -m venv --clear "$VENV"; then
    is_root || die "'$python -m venv' failed; as root run: apt-get install -y python3-venv"
    say "installing Debian's python3-venv"
    ensure_debs python3-venv || die "could not install python3-venv"
    "$python" -m venv --clear "$VENV" || die "'$python -m venv' failed"
  fi
  _venv_works || die "the virtual environment in $VENV does not work"
}

# What an install depends on: the pins, the extras, where the checkout lives (an editable
# install points at it) and the interpreter.
_install_key() {
  {
    cat "$QC_ROOT/pyproject.toml" "$CONSTRAINTS"
    printf '%s\n' "$1" "$QC_ROOT"
    "$PY" -VV
  } | sha256sum | cut -d' ' -f1
}

# install_project EXTRAS: pip-install the project editable with EXTRAS ("" or "test"),
# skipped when the stamp in .venv says this exact install was done already.
install_project() {
  local extras=$1 spec="." stamp="$VENV/.qc-installed-${1:-run}" key
  [ -n "$extras" ] && spec=".[$extras]"
  key=$(_install_key "$extras")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
    return 0
  fi
  say "installing Python packages: pip install -c requirements/constraints.txt -e '$spec'"
  (cd "$QC_ROOT" && "$PY" -m pip install --disable-pip-version-check -q \
    -c "$CONSTRAINTS" -e "$spec") || return 1
  echo "$key" >"$stamp"
  # The test extras include everything the plain install has.
  if [ -n "$extras" ]; then
    _install_key "" >"$VENV/.qc-installed-run"
  fi
}
