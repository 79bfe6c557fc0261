#!/usr/bin/env sh
# Print the path of a working Python 3.10 interpreter, or explain what to install.
for candidate in "${PYTHON310:-}" python3.10 "$HOME"/.pyenv/versions/3.10*/bin/python3.10 \
                 /usr/local/bin/python3.10 /usr/bin/python3.10; do
  [ -n "$candidate" ] || continue
  if "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then
    command -v "$candidate" 2>/dev/null || echo "$candidate"
    exit 0
  fi
done
cat >&2 <<'MSG'
error: Python 3.10 is required (Rasa 3.6 supports Python 3.8 to 3.10) and none was found.
Install it, for example:
  Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv
  pyenv:          pyenv install 3.10
or point PYTHON310 at an interpreter: make run PYTHON310=/path/to/python3.10
MSG
exit 1
