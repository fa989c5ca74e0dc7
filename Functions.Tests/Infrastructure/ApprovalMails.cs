namespace Cordon.Tests;

/// <summary>Finds the approval link in outbox mails (the JSON the outbox page and folder hold).</summary>
public static class ApprovalMails
{
    /// <summary>The path of the first link mailed for a gate, to <paramref name="approver"/> and for <paramref name="incidentId"/> when given.</summary>
    public static string? LinkFor(IEnumerable<JsonElement> mails, string gate, string? approver = null, string? incidentId = null)
    {
        foreach (JsonElement m in mails)
        {
            JsonElement args = m.GetProperty("customArgs");
            if ((approver is null || m.GetProperty("to").EnumerateArray().Any(t => t.GetString() == approver)) &&
                (incidentId is null || (args.TryGetProperty("incidentId", out JsonElement inc) && inc.GetString() == incidentId)) &&
                args.TryGetProperty("gateId", out JsonElement g) && g.GetString()!.StartsWith(gate + "-", StringComparison.Ordinal) &&
                m.GetProperty("links").GetArrayLength() > 0)
            {
                return new Uri(m.GetProperty("links")[0].GetString()!).PathAndQuery;
            }
        }

        return null;
    }
}
