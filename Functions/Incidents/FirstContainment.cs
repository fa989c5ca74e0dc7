using Cordon.Containment;

namespace Cordon.Incidents;

/// <summary>
/// An incident's first containment, the same whether intake applies it the moment the incident starts or the
/// incident's own first step does: whichever comes first changes the directory, the other finds the record.
/// </summary>
public static class FirstContainment
{
    /// <summary>Whether the incident contains as soon as it opens: the plan says auto-contain (record-only alerts never do).</summary>
    public static bool CalledFor(ResponsePlan plan) => plan.AutoContain && !plan.RecordOnly;

    /// <summary>The request for containment number 1 of the incident <paramref name="input"/> starts.</summary>
    public static ContainRequest Request(IncidentInput input, ResponsePlan plan, string subject) =>
        new(input.IncidentId, subject, plan.Policy.PrivilegedGroups, plan.Clients, input.ReceivedAt, plan.Policy.Exposure, Sequence: 1, IntakeContains: input.IntakeContains);
}
