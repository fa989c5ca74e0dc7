using System.Text.Json;
using Cordon.Alerts;

namespace Cordon.Behaviour;

/// <summary>
/// A read batch: the valid events (with their index in the batch) and the refused ones; or, when the
/// batch as a whole cannot be read, <see cref="Errors"/> and nothing else.
/// </summary>
public sealed record BatchParseResult(IReadOnlyList<AccessEvent> Events, IReadOnlyList<EventRejection> Rejected, IReadOnlyList<string> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Reads a batch of AccessEvent v1 (a JSON array, or a single object) and names every bad field of
/// every bad event, like <see cref="Cordon.Alerts.AlertParser"/>: one bad event is reported and the others kept.
/// </summary>
public static class AccessEventParser
{
    public const int MaxBytes = 4 * 1024 * 1024;
    public const int MaxEvents = 5000;
    const int MaxDepth = 8;

    /// <summary>Parses a batch; event times are checked against the system clock (<see cref="ProducerTimes"/>).</summary>
    public static BatchParseResult ParseBatch(ReadOnlyMemory<byte> utf8) => ParseBatch(utf8, DateTimeOffset.UtcNow);

    /// <summary>Parses a batch; an event's time may be at most <see cref="ProducerTimes.MaxAhead"/> ahead of <paramref name="now"/>.</summary>
    public static BatchParseResult ParseBatch(ReadOnlyMemory<byte> utf8, DateTimeOffset now)
    {
        if (utf8.Length == 0)
        {
            return Fail("body is empty: expected a JSON array of AccessEvent v1 objects");
        }

        if (utf8.Length > MaxBytes)
        {
            return Fail($"batch is {utf8.Length} bytes; the limit is {MaxBytes} bytes (4 MB)");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            string message = ex.Message;
            int dot = message.IndexOf(". ", StringComparison.Ordinal);
            return Fail($"body is not valid JSON: {(dot > 0 ? message[..dot] : message)}");
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                return Collect([root], 1, now);
            }

            if (root.ValueKind != JsonValueKind.Array)
            {
                return Fail("body must be a JSON array of AccessEvent v1 objects");
            }

            int length = root.GetArrayLength();
            if (length == 0)
            {
                return Fail("batch is empty: expected at least one AccessEvent v1 object");
            }

            if (length > MaxEvents)
            {
                return Fail($"batch has {length} events; the limit is {MaxEvents} per request");
            }

            return Collect(root.EnumerateArray(), length, now);
        }
    }

    static BatchParseResult Collect(IEnumerable<JsonElement> items, int count, DateTimeOffset now)
    {
        var events = new List<AccessEvent>(count);
        var rejected = new List<EventRejection>();
        var repeated = new RepeatedValues();
        var errors = new List<string>();
        int index = 0;
        foreach (JsonElement item in items)
        {
            if (errors.Count > 0)
            {
                errors = []; // the last one went with a rejection
            }

            AccessEvent? e = item.ValueKind == JsonValueKind.Object ? ParseEvent(item, errors, repeated, now) : null;
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add("event must be a JSON object");
            }

            if (e is null)
            {
                rejected.Add(new EventRejection(index, errors));
            }
            else
            {
                events.Add(e);
            }

            index++;
        }

        return new BatchParseResult(events, rejected, []);
    }

    /// <summary>Reads one event; null with the reasons in <paramref name="errors"/> when it is bad.</summary>
    public static AccessEvent? ParseEvent(JsonElement root, List<string> errors, DateTimeOffset now) => ParseEvent(root, errors, null, now);

    static AccessEvent? ParseEvent(JsonElement root, List<string> errors, RepeatedValues? repeated, DateTimeOffset now)
    {
        string? version = Required(root, "schemaVersion", "", errors, 16, repeated?.Version);
        if (version is not null && version != "1.0")
        {
            errors.Add($"schemaVersion must be \"1.0\" (got \"{Truncate(version)}\")");
        }

        string? eventId = Required(root, "eventId", "", errors, 128);
        DateTimeOffset occurredAt = default;
        string? occurredText = Required(root, "occurredAt", "", errors, 64);
        if (occurredText is not null && !TryParseRfc3339(occurredText, out occurredAt))
        {
            errors.Add("occurredAt must be an RFC 3339 timestamp with a time zone, e.g. 2026-05-01T10:15:00Z");
        }
        else if (occurredText is not null && ProducerTimes.Problem("occurredAt", occurredAt, now) is { } wrongTime)
        {
            errors.Add(wrongTime);
        }

        AgentRef? agent = ParseAgent(root, errors, repeated);
        string? clientId = Required(root, "clientId", "", errors, 128, repeated?.Client);
        string? action = Required(root, "action", "", errors, 32, repeated?.Action);
        if (action is not null && !AccessActions.All.Contains(action))
        {
            errors.Add($"action \"{Truncate(action)}\" is not one of {string.Join(", ", AccessActions.All)}");
            action = null;
        }

        string? recordId = Optional(root, "recordId", errors, 256);
        string? customerId = Optional(root, "customerId", errors, 256);
        string? ticketId = Optional(root, "ticketId", errors, 256);
        if (action is not null && AccessActions.NeedsCustomer(action) && customerId is null && !root.TryGetProperty("customerId", out _))
        {
            errors.Add($"customerId is required for action {action}");
        }

        if (action is not null && AccessActions.NeedsTicket(action) && ticketId is null && !root.TryGetProperty("ticketId", out _))
        {
            errors.Add($"ticketId is required for action {action}");
        }

        int count = 1;
        if (root.TryGetProperty("count", out JsonElement c) && c.ValueKind != JsonValueKind.Null)
        {
            if (c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out count) || count is < 1 or > 1_000_000)
            {
                errors.Add("count must be a whole number 1..1000000");
            }
        }

        return errors.Count > 0
            ? null
            : new AccessEvent(version!, eventId!, occurredAt, agent!, clientId!, action!, recordId, customerId, ticketId, count);
    }

    static AgentRef? ParseAgent(JsonElement root, List<string> errors, RepeatedValues? repeated)
    {
        if (!root.TryGetProperty("agent", out JsonElement a) || a.ValueKind == JsonValueKind.Null)
        {
            errors.Add("agent is required");
            return null;
        }

        if (a.ValueKind != JsonValueKind.Object)
        {
            errors.Add("agent must be an object");
            return null;
        }

        int before = errors.Count;
        string? upn = Required(a, "userPrincipalName", "agent.", errors, 256, repeated?.Upn);
        if (upn is not null && repeated is not null && repeated.GoodUpns.Contains(upn))
        {
            // checked below for an earlier event of the batch
        }
        else if (upn is not null && !LooksLikeUpn(upn))
        {
            errors.Add("agent.userPrincipalName must look like user@domain");
        }
        else if (upn is not null && SubjectIdentity.Problem(upn) is { } problem)
        {
            errors.Add($"agent.userPrincipalName {problem}");
        }

        else if (upn is not null)
        {
            repeated?.GoodUpns.Add(upn);
        }

        string? vendor = Required(a, "vendorId", "agent.", errors, 128, repeated?.Vendor);
        string? site = Required(a, "siteId", "agent.", errors, 128, repeated?.Site);
        return errors.Count > before ? null : new AgentRef(upn!, vendor!, site!);
    }

    static string? Required(JsonElement obj, string name, string prefix, List<string> errors, int maxLength, RepeatedStrings? repeated = null)
    {
        if (!obj.TryGetProperty(name, out JsonElement el) || el.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"{prefix}{name} is required");
            return null;
        }

        if (repeated is not null && repeated.TryGet(el, out string? same))
        {
            return same;
        }

        string? value = Read(el, prefix + name, errors, maxLength);
        if (value is not null)
        {
            repeated?.Add(el, value);
        }

        return value;
    }

    static string? Optional(JsonElement obj, string name, List<string> errors, int maxLength) =>
        obj.TryGetProperty(name, out JsonElement el) && el.ValueKind != JsonValueKind.Null ? Read(el, name, errors, maxLength) : null;

    static string? Read(JsonElement el, string path, List<string> errors, int maxLength) => AlertParser.ReadString(el, path, "", errors, maxLength);

    static bool TryParseRfc3339(string text, out DateTimeOffset value) => AlertParser.TryParseRfc3339(text, out value);

    static bool LooksLikeUpn(string value) => AlertParser.LooksLikeUpn(value);

    static string Truncate(string s) => AlertParser.Truncate(s);

    static BatchParseResult Fail(string error) => new([], [], [error]);

    /// <summary>
    /// Values that repeat across a batch's events (schema version, action, client, the agent's names), one set per field:
    /// each distinct value is read and checked once per batch and its string shared by the events that carry it.
    /// </summary>
    sealed class RepeatedValues
    {
        public readonly RepeatedStrings Version = new(), Action = new(), Client = new(), Upn = new(), Vendor = new(), Site = new();

        /// <summary>Agent names that passed the name checks for an earlier event of the batch.</summary>
        public readonly HashSet<string> GoodUpns = new(StringComparer.Ordinal);
    }

    /// <summary>Strings of one field already read in this batch, found by a hash of their JSON bytes and confirmed by comparing them.</summary>
    sealed class RepeatedStrings
    {
        readonly Dictionary<ulong, string> known = [];

        public bool TryGet(JsonElement el, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = null;
            return el.ValueKind == JsonValueKind.String && known.TryGetValue(Hash(el), out value) && el.ValueEquals(value);
        }

        public void Add(JsonElement el, string value) => known[Hash(el)] = value;

        static ulong Hash(JsonElement el) => System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(el));
    }
}
