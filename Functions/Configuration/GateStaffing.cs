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
        foreach ((string name, GatePolicy gate) in new[] { (Gates.Confirm, policy.Confirm), (Gates.Notify, policy.Notify), (Gates.VendorOffboarding, policy.VendorOffboarding) })
        {
            if (!gate.Chain.Any(role => world.ApproversFor(role).Count > 0))
            {
                problems.Add($"nobody could decide the {name} gate: the policy's {name}.chain names {string.Join(", ", gate.Chain)} and the world lists no approver for any of them");
            }
        }

        return problems;
    }

    /// <summary>What <paramref name="next"/> leaves unstaffed that <paramref name="now"/> does not: a new version is refused for these.</summary>
    public static IReadOnlyList<string> NewProblems(WorldModel nowWorld, ResponsePolicy nowPolicy, WorldModel nextWorld, ResponsePolicy nextPolicy)
    {
        IReadOnlyList<string> before = Problems(nowWorld, nowPolicy);
        return [.. Problems(nextWorld, nextPolicy).Where(p => !before.Contains(p))];
    }
}
