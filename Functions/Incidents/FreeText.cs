namespace Cordon.Incidents;

/// <summary>What people type into an incident (an operator's reason, an approver's comment) and the timeline, report and mails show.</summary>
public static class FreeText
{
    /// <summary>
    /// Whether <paramref name="text"/> holds control characters (other than line breaks and tabs) or text-direction
    /// overrides and isolates: they would reorder or hide text on the timeline, the report and mails.
    /// </summary>
    public static bool HidesOrReordersText(string text) =>
        text.Any(c => (char.IsControl(c) && c is not ('\n' or '\r' or '\t')) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069');
}
