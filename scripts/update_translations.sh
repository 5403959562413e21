#!/usr/bin/env sh
# Extract every marked string (babel.cfg) into equipment_share/translations/messages.pot, merge it into the zh_CN catalogue (created if missing; obsolete entries dropped, near matches left as fuzzy), and compile messages.mo; afterwards translate the empty and fuzzy entries in zh_CN/LC_MESSAGES/messages.po, remove their fuzzy flag and run this again until tests/test_translations.py passes. Usage, from anywhere: scripts/update_translations.sh (PYBABEL=/path/to/pybabel to choose the binary).
set -eu

cd "$(dirname "$0")/.."
if [ -z "${PYBABEL:-}" ]; then
    if [ -x /tmp/venv/bin/pybabel ]; then PYBABEL=/tmp/venv/bin/pybabel; else PYBABEL=pybabel; fi
fi
TRANSLATIONS=equipment_share/translations
mkdir -p "$TRANSLATIONS"

"$PYBABEL" --quiet extract --mapping-file=babel.cfg --output-file="$TRANSLATIONS/messages.pot" \
    --sort-output --project=equipment_share --version=0.1.0 \
    --copyright-holder="equipment_share contributors" .
"$PYBABEL" update --input-file="$TRANSLATIONS/messages.pot" --output-dir="$TRANSLATIONS" \
    --locale=zh_CN --init-missing --ignore-obsolete --previous --ignore-pot-creation-date
"$PYBABEL" compile --directory="$TRANSLATIONS" --locale=zh_CN --statistics
