using Cordon.Policy;

namespace Cordon.Configuration;

/// <summary>
/// The world and the policy read together: every gate must have someone to ask. A gate whose chain names only roles the
/// world lists nobody for mails no one and expires every time (found by an attack: a world of <c>{}</c> loaded as
/// healthy, and every incident's confirmation went unanswered). A chain with some empty roles is fine: those steps
/// escalate at once to the next role.
/// </summary>
public static class GateStaffing
{
    public static IReadOnlyList<string> Problems(WorldModel world, ResponsePolicy policy)
    {
        var problems = new List<string>();
        foreach ((string name, GatePolicy gate) in Gated(policy))
        {
            if (!gate.Chain.Any(role => world.ApproversFor(role).Count > 0))
            {
                problems.Add($"nobody could decide the {name} gate: the policy's {name}.chain names {string.Join(", ", gate.Chain)} and the world lists no approver for any of them");
            }
        }

        return problems;
    }

    /// <summary>
    /// Staffed gates whose quorum their chain's links cannot reach: a gate that needs two distinct approvers (vendor
    /// offboarding's) but whose roles list one person can only be completed by an operator voting from the dashboard,
    /// so its incidents expire unless someone watches. Reported by the health check, not refused in a new version: the
    /// usual cause is an approver leaving, and keeping a leaver on the world to keep a quorum would be worse.
    /// </summary>
    public static IReadOnlyList<string> Shortfalls(WorldModel world, ResponsePolicy policy)
    {
        var shortfalls = new List<string>();
        foreach ((string name, GatePolicy gate) in Gated(policy))
        {
            // Earlier links stay valid: everyone asked along the chain counts; otherwise only one step's role at a time.
            int reachable = gate.EarlierLinksStayValid
                ? gate.Chain.SelectMany(world.ApproversFor).Distinct(StringComparer.OrdinalIgnoreCase).Count()
                : gate.Chain.Max(role => world.ApproversFor(role).Distinct(StringComparer.OrdinalIgnoreCase).Count());
            if (reachable > 0 && reachable < gate.Quorum)
            {
                shortfalls.Add($"the {name} gate needs {gate.Quorum} distinct approvers and the world lists {reachable} for its chain ({string.Join(", ", gate.Chain)}): only operators voting from the dashboard could complete it");
            }
        }

        return shortfalls;
    }

    static (string Name, GatePolicy Gate)[] Gated(ResponsePolicy policy) =>
        [(Gates.Confirm, policy.Confirm), (Gates.Notify, policy.Notify), (Gates.VendorOffboarding, policy.VendorOffboarding)];

    /// <summary>What <paramref name="next"/> leaves unstaffed that <paramref name="now"/> does not: a new version is refused for these.</summary>
    public static IReadOnlyList<string> NewProblems(WorldModel nowWorld, ResponsePolicy nowPolicy, WorldModel nextWorld, ResponsePolicy nextPolicy)
    {
        IReadOnlyList<string> before = Problems(nowWorld, nowPolicy);
        return [.. Problems(nextWorld, nextPolicy).Where(p => !before.Contains(p))];
    }
}
