using System.Globalization;
using System.Text.Json;

namespace Cordon.Alerts;

/// <summary>The result of reading an alert: the alert, or every field-level reason it was refused.</summary>
public sealed record AlertParseResult(RiskAlert? Alert, IReadOnlyList<string> Errors)
{
    public bool IsValid => Alert is not null;
}

/// <summary>
/// Reads RiskAlert v1 (bare, or inside a CloudEvents 1.0 envelope) and names every bad field.
/// Walks the JSON by hand: a deserializer stops at the first problem, an approver-facing system
/// must say all of them.
/// </summary>
public static class AlertParser
{
    public const int MaxBytes = 256 * 1024;
    public const string CloudEventType = "cordon.risk-alert.v1";
    const int MaxDepth = 16;


    /// <summary>Parses and checks an alert; its times are checked against the system clock (<see cref="ProducerTimes"/>).</summary>
    public static AlertParseResult Parse(ReadOnlyMemory<byte> utf8) => Parse(utf8, DateTimeOffset.UtcNow);

    /// <summary>Parses and checks an alert; its times may be at most <see cref="ProducerTimes.MaxAhead"/> ahead of <paramref name="now"/>.</summary>
    public static AlertParseResult Parse(ReadOnlyMemory<byte> utf8, DateTimeOffset now)
    {
        if (utf8.Length == 0)
        {
            return Fail("body is empty: expected a RiskAlert v1 JSON object");
        }

        if (utf8.Length > MaxBytes)
        {
            return Fail($"alert is {utf8.Length} bytes; the limit is {MaxBytes} bytes (256 KB)");
        }

        // The JSON reader checks structure, not the bytes inside strings: invalid UTF-8 there would only
        // surface (as an exception) when a field is read.
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            return Fail("body is not valid UTF-8");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            return Fail($"body is not valid JSON: {FirstSentence(ex.Message)}");
        }

        using (doc)
        {
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail($"body must be a JSON object, not {Describe(root.ValueKind)}");
            }

            if (root.TryGetProperty("specversion", out _))
            {
                return ParseCloudEvent(root, now);
            }

            return ParseAlert(root, prefix: "", now);
        }
    }

    static AlertParseResult ParseCloudEvent(JsonElement root, DateTimeOffset now)
    {
        var errors = new List<string>();
        string? spec = OptionalString(root, "specversion", "", errors);
        if (spec is not null && spec != "1.0")
        {
            errors.Add("specversion must be \"1.0\"");
        }

        string? type = RequiredString(root, "type", "", errors, 256);
        if (type is not null && type != CloudEventType)
        {
            errors.Add($"type must be \"{CloudEventType}\"");
        }

        RequiredString(root, "id", "", errors, 256);
        RequiredString(root, "source", "", errors, 1024);
        if (root.TryGetProperty("datacontenttype", out JsonElement ct) &&
            (!TryGetText(ct, out string? contentType) || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)))
        {
            errors.Add("datacontenttype must be application/json");
        }

        if (!root.TryGetProperty("data", out JsonElement data) || data.ValueKind == JsonValueKind.Null)
        {
            errors.Add("data is required: the RiskAlert object");
            return new AlertParseResult(null, errors);
        }

        if (data.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"data must be a JSON object, not {Describe(data.ValueKind)}");
            return new AlertParseResult(null, errors);
        }

        AlertParseResult inner = ParseAlert(data, prefix: "data.", now);
        errors.AddRange(inner.Errors);
        return errors.Count == 0 ? inner : new AlertParseResult(null, errors);
    }

    static AlertParseResult ParseAlert(JsonElement root, string prefix, DateTimeOffset now)
    {
        var errors = new List<string>();

        string? version = RequiredString(root, "schemaVersion", prefix, errors, 16);
        if (version is not null && version != "1.0")
        {
            errors.Add($"{prefix}schemaVersion must be \"1.0\" (got \"{Truncate(version)}\")");
        }

        string? alertId = RequiredString(root, "alertId", prefix, errors, 128);
        string? source = RequiredString(root, "source", prefix, errors, 128);
        if (source is not null && string.Equals(source.Trim(), AlertSources.Monitor, StringComparison.OrdinalIgnoreCase))
        {
            // Its alert ids are predictable: one sent in first would make the monitor's own alert a duplicate of it.
            errors.Add($"{prefix}source \"{AlertSources.Monitor}\" is reserved for Cordon's own behaviour monitor; name your producer");
        }

        DateTimeOffset detectedAt = default;
        string? detectedText = RequiredString(root, "detectedAt", prefix, errors, 64);
        if (detectedText is not null && !TryParseRfc3339(detectedText, out detectedAt))
        {
            errors.Add($"{prefix}detectedAt must be an RFC 3339 timestamp with a time zone, e.g. 2026-05-01T10:15:00Z");
        }
        else if (detectedText is not null && ProducerTimes.Problem($"{prefix}detectedAt", detectedAt, now) is { } wrongTime)
        {
            errors.Add(wrongTime);
        }

        AlertSubject? subject = ParseSubject(root, prefix, errors);

        double score = 0;
        if (!root.TryGetProperty("riskScore", out JsonElement scoreEl) || scoreEl.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"{prefix}riskScore is required");
        }
        else if (scoreEl.ValueKind != JsonValueKind.Number || !scoreEl.TryGetDouble(out score) || double.IsNaN(score))
        {
            errors.Add($"{prefix}riskScore must be a number 0..100");
        }
        else if (score is < 0 or > 100)
        {
            errors.Add($"{prefix}riskScore must be 0..100 (got {score.ToString(CultureInfo.InvariantCulture)})");
        }

        string? severity = OptionalString(root, "severity", prefix, errors);
        if (severity is not null && !Severities.IsKnown(severity))
        {
            errors.Add($"{prefix}severity must be one of low, medium, high, critical (got \"{Truncate(severity)}\")");
        }

        var indicators = ParseIndicators(root, prefix, errors, now);
        var clientIds = ParseStringArray(root, "clientIds", prefix, errors, 128);

        long affected = 0;
        if (root.TryGetProperty("affectedRecords", out JsonElement affectedEl) && affectedEl.ValueKind != JsonValueKind.Null)
        {
            if (affectedEl.ValueKind != JsonValueKind.Number || !affectedEl.TryGetInt64(out affected))
            {
                errors.Add($"{prefix}affectedRecords must be a whole number ≥ 0");
            }
            else if (affected < 0)
            {
                errors.Add($"{prefix}affectedRecords must be ≥ 0 (got {affected})");
            }
        }

        var evidence = ParseEvidence(root, prefix, errors);

        if (errors.Count > 0)
        {
            return new AlertParseResult(null, errors);
        }

        var alert = new RiskAlert(
            version!, alertId!, source!, detectedAt, subject!, score,
            severity ?? Severities.FromScore(score), indicators, clientIds, affected, evidence);
        return new AlertParseResult(alert, []);
    }

    static AlertSubject? ParseSubject(JsonElement root, string prefix, List<string> errors)
    {
        string path = prefix + "subject";
        if (!root.TryGetProperty("subject", out JsonElement s) || s.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"{path} is required");
            return null;
        }

        if (s.ValueKind != JsonValueKind.Object)
        {
            errors.Add($"{path} must be an object");
            return null;
        }

        int before = errors.Count;
        string p = path + ".";
        string? upn = RequiredString(s, "userPrincipalName", p, errors, 256);
        if (upn is not null && !LooksLikeUpn(upn))
        {
            errors.Add($"{p}userPrincipalName must look like user@domain");
        }
        else if (upn is not null && SubjectIdentity.Problem(upn) is { } problem)
        {
            errors.Add($"{p}userPrincipalName {problem}");
        }

        string? vendor = RequiredString(s, "vendorId", p, errors, 128);
        string? site = RequiredString(s, "siteId", p, errors, 128);
        string? employee = OptionalString(s, "employeeId", p, errors, 128);
        string? display = OptionalString(s, "displayName", p, errors, 256);
        string? manager = OptionalString(s, "managerEmail", p, errors, 256);
        if (manager is not null && !LooksLikeUpn(manager))
        {
            errors.Add($"{p}managerEmail must be an e-mail address");
        }

        return errors.Count > before ? null : new AlertSubject(upn!, vendor!, site!, employee, display, manager);
    }

    static List<Indicator> ParseIndicators(JsonElement root, string prefix, List<string> errors, DateTimeOffset now)
    {
        var list = new List<Indicator>();
        if (!root.TryGetProperty("indicators", out JsonElement arr) || arr.ValueKind == JsonValueKind.Null)
        {
            return list;
        }

        if (arr.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{prefix}indicators must be an array");
            return list;
        }

        int i = 0;
        foreach (JsonElement item in arr.EnumerateArray())
        {
            string p = $"{prefix}indicators[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{p} must be an object");
                continue;
            }

            string? kind = RequiredString(item, "kind", p + ".", errors, 64);
            if (kind is not null && !IndicatorKinds.All.Contains(kind))
            {
                errors.Add($"{p}.kind \"{Truncate(kind)}\" is not a known kind ({string.Join(", ", IndicatorKinds.All)})");
            }

            string? detail = OptionalString(item, "detail", p + ".", errors, 4096) ?? "";
            int? count = null;
            if (item.TryGetProperty("count", out JsonElement c) && c.ValueKind != JsonValueKind.Null)
            {
                if (c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out int n) || n < 0)
                {
                    errors.Add($"{p}.count must be a whole number ≥ 0");
                }
                else
                {
                    count = n;
                }
            }

            DateTimeOffset? observed = null;
            string? observedText = OptionalString(item, "observedAt", p + ".", errors, 64);
            if (observedText is not null)
            {
                if (TryParseRfc3339(observedText, out DateTimeOffset o))
                {
                    observed = o;
                    if (ProducerTimes.Problem($"{p}.observedAt", o, now) is { } wrongTime)
                    {
                        errors.Add(wrongTime);
                    }
                }
                else
                {
                    errors.Add($"{p}.observedAt must be an RFC 3339 timestamp");
                }
            }

            if (kind is not null)
            {
                list.Add(new Indicator(kind, detail, count, observed));
            }
        }

        return list;
    }

    static List<EvidenceRef> ParseEvidence(JsonElement root, string prefix, List<string> errors)
    {
        var list = new List<EvidenceRef>();
        if (!root.TryGetProperty("evidence", out JsonElement arr) || arr.ValueKind == JsonValueKind.Null)
        {
            return list;
        }

        if (arr.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{prefix}evidence must be an array");
            return list;
        }

        int i = 0;
        foreach (JsonElement item in arr.EnumerateArray())
        {
            string p = $"{prefix}evidence[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add($"{p} must be an object");
                continue;
            }

            string? kind = RequiredString(item, "kind", p + ".", errors, 64);
            string? uri = RequiredString(item, "uri", p + ".", errors, 2048);
            if (uri is not null && !Uri.TryCreate(uri, UriKind.Absolute, out _))
            {
                errors.Add($"{p}.uri must be an absolute URI");
            }

            string? sha = OptionalString(item, "sha256", p + ".", errors, 64);
            if (sha is not null && (sha.Length != 64 || !sha.All(Uri.IsHexDigit)))
            {
                errors.Add($"{p}.sha256 must be 64 hexadecimal characters");
            }

            if (kind is not null && uri is not null)
            {
                list.Add(new EvidenceRef(kind, uri, sha?.ToLowerInvariant()));
            }
        }

        return list;
    }

    static List<string> ParseStringArray(JsonElement root, string name, string prefix, List<string> errors, int maxLength)
    {
        var list = new List<string>();
        if (!root.TryGetProperty(name, out JsonElement arr) || arr.ValueKind == JsonValueKind.Null)
        {
            return list;
        }

        if (arr.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{prefix}{name} must be an array of strings");
            return list;
        }

        int i = 0;
        foreach (JsonElement item in arr.EnumerateArray())
        {
            string p = $"{prefix}{name}[{i++}]";
            if (item.ValueKind == JsonValueKind.String && !TryGetText(item, out _))
            {
                errors.Add($"{p} {InvalidText}");
            }
            else if (!TryGetText(item, out string? value) || string.IsNullOrWhiteSpace(value))
            {
                errors.Add($"{p} must be a non-empty string");
            }
            else if (value.Length > maxLength)
            {
                errors.Add($"{p} must be at most {maxLength} characters");
            }
            else if (OneLine(value, "", p, errors) is not null && !list.Contains(value))
            {
                list.Add(value);
            }
        }

        return list;
    }

    static string? RequiredString(JsonElement obj, string name, string prefix, List<string> errors, int maxLength)
    {
        if (!obj.TryGetProperty(name, out JsonElement el) || el.ValueKind == JsonValueKind.Null)
        {
            errors.Add($"{prefix}{name} is required");
            return null;
        }

        return OneLine(ReadString(el, name, prefix, errors, maxLength), name, prefix, errors);
    }

    static string? OptionalString(JsonElement obj, string name, string prefix, List<string> errors, int maxLength = 256)
    {
        if (!obj.TryGetProperty(name, out JsonElement el) || el.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return OneLine(ReadString(el, name, prefix, errors, maxLength), name, prefix, errors);
    }

    /// <summary>
    /// The value, or null and an error naming the field when it holds a control character (a line break or tab too)
    /// or a text-direction mark: a producer's ids, names and details go into approval mails, their Subject and notices,
    /// where "\r\n" forges a line (a "Review and decide: https://…" of its own) and an override reorders what is read.
    /// No producer needs them: the samples' details are one line each.
    /// </summary>
    static string? OneLine(string? value, string name, string prefix, List<string> errors)
    {
        if (value is not null && value.Any(TextMarks.BreaksOrReorders))
        {
            char found = value.First(TextMarks.BreaksOrReorders);
            errors.Add($"{prefix}{name} must not contain control characters (line breaks, tabs) or text-direction marks (found U+{(int)found:X4}): it is shown in approval mails and notices");
            return null;
        }

        return value;
    }

    /// <summary>A non-empty string of at most <paramref name="maxLength"/> characters, else an error naming the field (also used by the telemetry parser).</summary>
    internal static string? ReadString(JsonElement el, string name, string prefix, List<string> errors, int maxLength)
    {
        if (el.ValueKind != JsonValueKind.String)
        {
            errors.Add($"{prefix}{name} must be a string, not {Describe(el.ValueKind)}");
            return null;
        }

        if (!TryGetText(el, out string? value))
        {
            errors.Add($"{prefix}{name} {InvalidText}");
            return null;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{prefix}{name} must not be empty");
            return null;
        }

        if (value.Length > maxLength)
        {
            errors.Add($"{prefix}{name} must be at most {maxLength} characters (got {value.Length})");
            return null;
        }

        return value;
    }

    const string InvalidText = "is not valid Unicode text (an escaped lone surrogate such as \\ud800, or invalid UTF-8)";

    /// <summary>
    /// The string value, or false when it cannot be text: JSON allows an escaped lone surrogate
    /// ("\ud800"), which <see cref="JsonElement.GetString"/> refuses by throwing.
    /// </summary>
    internal static bool TryGetText(JsonElement el, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
    {
        value = null;
        if (el.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        try
        {
            value = el.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    internal static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        value = default;
        // RFC 3339 requires a date, a 'T', a time and an offset; DateTimeOffset alone accepts far more.
        if (text.Length < 20 || (text[10] != 'T' && text[10] != 't') ||
            !(text.EndsWith('Z') || text.EndsWith('z') || text[^6] is '+' or '-'))
        {
            return false;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out value);
    }

    internal static bool LooksLikeUpn(string value)
    {
        int at = value.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at < value.Length - 1 && value.IndexOf('@', at + 1) < 0 && !value.Any(char.IsWhiteSpace);
    }

    static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Number => "a number",
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    internal static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message;
    }

    static AlertParseResult Fail(string error) => new(null, [error]);
}
