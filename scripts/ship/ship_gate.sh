#!/usr/bin/env bash
# Ship only when better: reads every proxy the default model is judged on with the shipped model and
# one or more candidates, side by side (batch 1, 1 thread, each model at its stored width scale).
#
#   scripts/ship/ship_gate.sh CANDIDATE.pt [CANDIDATE.pt ...]
#   SHIPPED=ocrlite/models/default.pt SETS=/tmp/ocrlite_gate TESSERACT=1 scripts/ship/ship_gate.sh weights/runs/campaign/best.pt
#
# Proxies (the synthetic ones are rendered into $SETS once, from fixed seeds, in the 22 held-out font
# families no model trains on):
#   doc_unseen_clean / doc_unseen_degraded  $N (1,200) document and prose lines, clean and degraded, per style,
#                                           also with typographic punctuation folded to ASCII on both sides
#                                           (the generator A/B's sets; case-sensitive CER)
#   receipt_unseen                          $N (1,200) receipt lines, numbers, dates, codes, addresses (case-sensitive)
#   sroie_dev                               3,175 real receipt lines ($SROIE), case folded
set -euo pipefail
(( $# >= 1 )) || { echo "usage: scripts/ship/ship_gate.sh CANDIDATE.pt [CANDIDATE.pt ...]" >&2; exit 2; }
SHIPPED=${SHIPPED:-ocrlite/models/default.pt}
SETS=${SETS:-/tmp/ocrlite_gate}
SROIE=${SROIE:-../shared/data/sroie_dev}
N=${N:-1200}  # lines per synthetic set (a set already in $SETS is reused whatever its size)
for model in "$SHIPPED" "$@"; do
    [[ -f "$model" ]] || { echo "ship_gate.sh: $model: no such model file" >&2; exit 2; }
done

DOC_SOURCES=(prose heading list_item citation caption table_row footnote equation)
RECEIPT_SOURCES=(receipt_line number date_time code address)
make_set() {  # NAME SEED [synth options]: render once; a half-written set is rendered again
    local name=$1 seed=$2; shift 2
    [[ -f "$SETS/$name/labels.tsv" ]] && return
    ocrlite synth --out "$SETS/$name" --n "$N" --seed "$seed" --fonts ocrlite/data/fonts/holdout --force "$@" >&2
}
mkdir -p "$SETS"
make_set doc_unseen_clean 41 --strength 0 --text-sources "${DOC_SOURCES[@]}"
make_set doc_unseen_degraded 41 --text-sources "${DOC_SOURCES[@]}"
make_set receipt_unseen 43 --text-sources "${RECEIPT_SOURCES[@]}"

tess=()
[[ -n "${TESSERACT:-}" ]] && tess=(--tesseract)
python scripts/bench/eval_by_style.py --ascii "$SETS/doc_unseen_clean" "$SETS/doc_unseen_degraded" "$SETS/receipt_unseen" \
    --weights "$SHIPPED" "$@" "${tess[@]}"

echo
echo "### Real receipts (sroie_dev, case folded)"
echo
if [[ -e "$SROIE" ]]; then
    echo "| model | CER | line accuracy |"
    echo "|---|---|---|"
    for model in "$SHIPPED" "$@"; do
        ocrlite eval "$SROIE" --weights "$model" --fold-case --batch-size 1 --threads 1 --json |
            python -c 'import json, sys; r = json.load(sys.stdin); r = r[0] if isinstance(r, list) else r
print("| %s | %.2f%% | %.1f%% |" % (sys.argv[1], 100 * r["cer"], 100 * r["accuracy"]))' "$model"
    done
else
    echo "$SROIE not found (set SROIE=...); skipped"
fi
