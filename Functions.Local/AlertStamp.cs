using System.Globalization;
using System.Text.Json.Nodes;

namespace Cordon.Local;

/// <summary>
/// Makes a sample alert fresh: detectedAt becomes now and every indicator's observedAt moves by the same
/// amount, so a sample sent today is judged on today's regulatory clocks. Anything that is not an alert
/// (or has no readable detectedAt) is sent unchanged, for the intake to judge.
/// </summary>
public static class AlertStamp
{
    public static byte[] Fresh(byte[] json, DateTimeOffset now)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (System.Text.Json.JsonException)
        {
            return json;
        }

        // A CloudEvents envelope carries the alert in data.
        JsonObject? alert = root is JsonObject o && o["specversion"] is not null ? o["data"] as JsonObject : root as JsonObject;
        if (alert?["detectedAt"] is not JsonValue v || !v.TryGetValue(out string? text) ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset detected))
        {
            return json;
        }

        TimeSpan shift = now - detected;
        alert["detectedAt"] = Iso(now);
        foreach (JsonNode? indicator in alert["indicators"] as JsonArray ?? [])
        {
            if (indicator?["observedAt"] is JsonValue ov && ov.TryGetValue(out string? observed) &&
                DateTimeOffset.TryParse(observed, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out DateTimeOffset at))
            {
                indicator["observedAt"] = Iso(at + shift);
            }
        }

        return System.Text.Encoding.UTF8.GetBytes(root!.ToJsonString());
    }

    static string Iso(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
