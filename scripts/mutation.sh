#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the rule modules against their tests.
#   scripts/mutation.sh            # every rule module (slow: tens of minutes)
#   scripts/mutation.sh demand     # one target: customers, graph, reach, impact, lens, demand,
#                                  # experience, fit
# Prints each target's score (killed / all mutants). The targets and their tests are below;
# a target is run in its own mutmut session (mutants/ is rebuilt each time).
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh --dev >/dev/null || exit 1
.venv/bin/python -c "import mutmut" 2>/dev/null || .venv/bin/pip install --quiet "mutmut>=3.3,<4"

declare -A MODULE=(
  [customers]=clientmap/customers/rules.py
  [graph]=clientmap/valuechain/graph.py
  [reach]=clientmap/valuechain/reach.py
  [impact]=clientmap/valuechain/impact.py
  [lens]=clientmap/valuechain/lens.py
  [demand]=clientmap/voice/demand.py
  [experience]=clientmap/experience/rules.py
  [fit]=clientmap/fit/rules.py
)
declare -A TESTS=(
  [customers]="tests/customers/test_rules.py tests/customers/test_window.py tests/core/test_staleness.py"
  [graph]="tests/valuechain/test_graph.py tests/valuechain/test_reach.py"
  [reach]="tests/valuechain/test_reach.py"
  [impact]="tests/valuechain/test_impact.py"
  [lens]="tests/valuechain/test_lens.py"
  [demand]="tests/voice/test_voice.py tests/voice/test_demand_weights.py tests/voice/test_pages.py tests/test_hooks.py"
  [experience]="tests/experience/test_figures.py"
  [fit]="tests/fit/test_rules.py"
)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(customers graph reach impact lens demand experience fit)

for t in "${targets[@]}"; do
  module=${MODULE[$t]:?unknown target $t}
  tests=${TESTS[$t]}
  rm -rf mutants
  # mutmut reads its configuration from setup.cfg; write one for this target.
  {
    echo "[mutmut]"
    echo "only_mutate=$module"
    echo "source_paths=clientmap"
    echo "also_copy="
    echo "    tests"
    echo "    scripts"
    echo "pytest_add_cli_args=-p no:randomly -p no:cacheprovider -x -q"
    echo "pytest_add_cli_args_test_selection="
    for x in $tests; do echo "    $x"; done
  } > setup.cfg
  env -u DATABASE_URL nice .venv/bin/mutmut run >/tmp/mutmut-$t.log 2>&1
  # one line per mutant: "    module.x_function__mutmut_N: killed | survived | no tests | …"
  .venv/bin/mutmut results --all true 2>/dev/null | grep "__mutmut_" > "/tmp/mutmut-results-$t.txt"
  total=$(wc -l < "/tmp/mutmut-results-$t.txt")
  killed=$(grep -c ": killed$" "/tmp/mutmut-results-$t.txt" || true)
  survived=$(grep -c ": survived$" "/tmp/mutmut-results-$t.txt" || true)
  untested=$(grep -c ": no tests$" "/tmp/mutmut-results-$t.txt" || true)
  echo "$t ($module): $killed of $total mutants killed, $survived survived, $untested reached by no test (list: /tmp/mutmut-results-$t.txt)"
  rm -f setup.cfg
done
