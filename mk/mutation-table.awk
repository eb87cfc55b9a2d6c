# Per-module table from `mutmut results --all true` lines ("    <mutant name>: <status>").
# Mutants without a result yet ("not checked") are left out: the table shows every mutant tested
# so far, by this run or an earlier one in the same build/mutation.
# "no tests" (no selected test reaches the function) is a survivor: it counts against the score.
BEGIN { FS = ": " }
{
    name = $1
    sub(/^ +/, "", name)
    sub(/^ansible_collections\.onprem\.calico\.plugins\./, "", name)
    sub(/\.x[^.]*__mutmut_[0-9]+$/, "", name)
    status = $2
    if (status == "not checked") next
    if (status != "killed" && status != "survived" && status != "timeout" && status != "no tests") status = "other"
    count[name, status]++
    modules[name] = 1
}
END {
    for (m in modules) {
        k = count[m, "killed"] + 0; s = count[m, "survived"] + 0; n = count[m, "no tests"] + 0
        t = count[m, "timeout"] + 0; o = count[m, "other"] + 0
        total = k + s + n + t + o
        K += k; S += s; N += n; T += t; O += o
        printf "| %s | %d | %d | %d | %d | %d | %.1f |\n", m, k, s, n, t, o, total ? 100 * (k + t) / total : 0 | "sort"
    }
    close("sort")
    total = K + S + N + T + O
    printf "| **all run** | %d | %d | %d | %d | %d | %.1f |\n", K, S, N, T, O, total ? 100 * (K + T) / total : 0
}
