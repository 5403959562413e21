#!/usr/bin/env sh
# Refresh the Simplified Chinese catalogue after marking strings with _(), _l(), ngettext() or N_():
# extracts them (babel.cfg) into equipment_share/translations/messages.pot, merges that into
# zh_Hans_CN/LC_MESSAGES/messages.po (the directory Flask-Babel reads for zh_CN, since
# Locale.parse("zh_CN") is zh_Hans_CN; created if missing; obsolete entries dropped, near matches
# marked fuzzy) and compiles messages.mo. Then translate the empty and fuzzy entries in the .po,
# delete their "fuzzy" flag, run this again and commit .pot, .po and .mo together;
# tests/test_translations.py names whatever is still missing. Usage: scripts/update_translations.sh
# from any directory; it uses .venv/bin/pybabel, else pybabel on PATH, unless PYBABEL=/path/to/pybabel.
set -eu

cd "$(dirname "$0")/.."
if [ -z "${PYBABEL:-}" ]; then
    if [ -x .venv/bin/pybabel ]; then PYBABEL=.venv/bin/pybabel; else PYBABEL=pybabel; fi
fi
TRANSLATIONS=equipment_share/translations
LOCALE=zh_Hans_CN
mkdir -p "$TRANSLATIONS"

"$PYBABEL" --quiet extract --mapping-file=babel.cfg --output-file="$TRANSLATIONS/messages.pot" \
    --sort-output --project=equipment_share --version=0.1.0 \
    --copyright-holder="equipment_share contributors" .
"$PYBABEL" update --input-file="$TRANSLATIONS/messages.pot" --output-dir="$TRANSLATIONS" \
    --locale="$LOCALE" --init-missing --ignore-obsolete --previous --ignore-pot-creation-date
"$PYBABEL" compile --directory="$TRANSLATIONS" --locale="$LOCALE" --statistics
