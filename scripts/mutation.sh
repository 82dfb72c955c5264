#!/usr/bin/env bash
# Mutation testing (mutmut 3) of the rule modules against their tests.
#   scripts/mutation.sh            # every rule module (slow: tens of minutes)
#   scripts/mutation.sh demand     # one target: customers, graph, reach, reached, impact,
#                                  # reachsets, lens, demand, experience, fit
#   MUTATION_DATABASE_URL=postgres://postgres@127.0.0.1:5432/cm_NAME scripts/mutation.sh customers
#                                  # the same on PostgreSQL (one mutant at a time: the children
#                                  # would share the test database); by default on SQLite
#   MUTATION_ONLY='x_days_between__mutmut_* x_month_of__mutmut_*' scripts/mutation.sh experience
#                                  # only these mutants (mutmut's names, globs allowed): e.g. a
#                                  # PostgreSQL-only branch on PostgreSQL; the others are listed
#                                  # as "not checked"
# Run it as `nice -n 15 scripts/mutation.sh …` on a shared machine (it does not nice itself).
# Prints each target's score (killed / all mutants). The targets and their tests are below;
# a target is run in its own mutmut session (mutants/ is rebuilt each time). Results per mutant:
# /tmp/mutmut-results-TARGET.txt (-pg.txt on PostgreSQL); `mutmut show NAME` in this directory
# shows a mutant's diff until the next run.
# Lines marked `# pragma: no mutate` are not mutated: each says why the mutant would be
# equivalent (SQL keyword case, a branch of the other database, …) — never a way to hide a gap.
set -uo pipefail
cd "$(dirname "$0")/.."
# Install once (scripts/install.sh --dev again after a dependency changed): reinstalling takes
# minutes on a loaded machine.
[ -x .venv/bin/python ] || scripts/install.sh --dev >/dev/null || exit 1
.venv/bin/python -c "import mutmut" 2>/dev/null || .venv/bin/pip install --quiet "mutmut>=3.3,<4"

declare -A MODULE=(
  [customers]=clientmap/customers/rules.py
  [graph]=clientmap/valuechain/graph.py
  [reach]=clientmap/valuechain/reach.py
  [reached]=clientmap/valuechain/reached.py
  [impact]=clientmap/valuechain/impact.py
  [reachsets]=clientmap/valuechain/reachsets.py
  [lens]=clientmap/valuechain/lens.py
  [demand]=clientmap/voice/demand.py
  [experience]=clientmap/experience/rules.py
  [fit]=clientmap/fit/rules.py
)
declare -A TESTS=(
  [customers]="tests/customers/test_rules.py tests/customers/test_rules_lapsed.py tests/customers/test_window.py tests/customers/test_rebuild_paths.py tests/customers/test_recompute.py tests/core/test_staleness.py"
  [graph]="tests/valuechain/test_graph.py tests/valuechain/test_graph_equal.py tests/valuechain/test_reach.py"
  [reach]="tests/valuechain/test_reach.py tests/valuechain/test_reach_answers.py"
  [reached]="tests/valuechain/test_reach.py tests/valuechain/test_reach_answers.py tests/valuechain/test_impact.py tests/valuechain/test_mutants_impact.py tests/valuechain/test_reachsets_equal.py"
  [impact]="tests/valuechain/test_impact.py tests/valuechain/test_mutants_impact.py tests/valuechain/test_reachsets_equal.py tests/valuechain/test_mutants_reach.py"
  [reachsets]="tests/valuechain/test_reachsets_equal.py tests/valuechain/test_impact.py tests/valuechain/test_mutants_impact.py tests/valuechain/test_mutants_reach.py"
  [lens]="tests/valuechain/test_lens.py tests/valuechain/test_mutants_lens.py tests/valuechain/test_lens_first_nodes.py"
  [demand]="tests/voice/test_voice.py tests/voice/test_demand_weights.py tests/voice/test_pages.py tests/test_hooks.py"
  [experience]="tests/experience/test_rules.py tests/experience/test_figures.py tests/experience/test_derive_paths.py"
  [fit]="tests/fit/test_rules.py tests/fit/test_parts.py tests/fit/test_facts.py tests/fit/test_refresh.py tests/fit/test_prune.py tests/fit/test_overview_equal.py tests/fit/test_mutants_rules.py"
)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(customers graph reach reached impact reachsets lens demand experience fit)

if [ -n "${MUTATION_DATABASE_URL:-}" ]; then
  db=(env "DATABASE_URL=$MUTATION_DATABASE_URL") children=(--max-children 1) suffix=-pg
else
  db=(env -u DATABASE_URL) children=() suffix=
fi

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
    # --no-migrations: the test database is built from the models (0.5 s instead of 3.5 s a run)
    echo "pytest_add_cli_args=-p no:randomly -p no:cacheprovider -x -q --no-migrations"
    # A mutant is timed out after (its tests' time + this) x 30 s of wall clock: on a loaded
    # machine the default (1) times out mutants the tests would kill or not.
    echo "timeout_constant=${MUTATION_TIMEOUT_CONSTANT:-10}"
    echo "pytest_add_cli_args_test_selection="
    for x in $tests; do echo "    $x"; done
  } > setup.cfg
  only=()
  set -f  # the globs are mutmut's, not the shell's
  for m in ${MUTATION_ONLY:-}; do only+=("${module%.py}.$m"); done
  set +f
  only=("${only[@]//\//.}")
  "${db[@]}" .venv/bin/mutmut run "${children[@]}" "${only[@]}" >"/tmp/mutmut-$t$suffix.log" 2>&1
  # one line per mutant: "    module.x_function__mutmut_N: killed | survived | no tests | …"
  .venv/bin/mutmut results --all true 2>/dev/null | grep "__mutmut_" > "/tmp/mutmut-results-$t$suffix.txt"
  total=$(wc -l < "/tmp/mutmut-results-$t$suffix.txt")
  killed=$(grep -c ": killed$" "/tmp/mutmut-results-$t$suffix.txt" || true)
  survived=$(grep -c ": survived$" "/tmp/mutmut-results-$t$suffix.txt" || true)
  untested=$(grep -c ": no tests$" "/tmp/mutmut-results-$t$suffix.txt" || true)
  timeout=$(grep -c ": timeout$" "/tmp/mutmut-results-$t$suffix.txt" || true)
  # A timeout is a mutant the tests caught by hanging (counted as killed by mutmut's score).
  echo "$t ($module${suffix:+, PostgreSQL}): $killed of $total mutants killed, $timeout timed out, $survived survived, $untested reached by no test; $(( (survived + untested) * 1000 / (total > 0 ? total : 1) )) ‰ surviving (list: /tmp/mutmut-results-$t$suffix.txt; $(uptime | sed 's/.*load/load/'))"
  rm -f setup.cfg
done
