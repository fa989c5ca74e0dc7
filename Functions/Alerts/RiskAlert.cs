namespace Cordon.Alerts;

/// <summary>RiskAlert v1, the contract alert producers send (docs/schemas/risk-alert.v1.schema.json).</summary>
public sealed record RiskAlert(
    string SchemaVersion,
    string AlertId,
    string Source,
    DateTimeOffset DetectedAt,
    AlertSubject Subject,
    double RiskScore,
    string Severity,
    IReadOnlyList<Indicator> Indicators,
    IReadOnlyList<string> ClientIds,
    long AffectedRecords,
    IReadOnlyList<EvidenceRef> Evidence);

/// <summary>Alert sources Cordon itself uses; producers may not send alerts under them.</summary>
public static class AlertSources
{
    /// <summary>The behaviour monitor's alerts (their ids are predictable: one sent in first would shadow the monitor's own).</summary>
    public const string Monitor = "cordon-monitor";
}

/// <summary>An alert's identity across deliveries: source/alertId (dedupe, merge, the incident's alert list).</summary>
public static class AlertKeys
{
    /// <summary>
    /// "source/alertId", with any '%' and '/' in the source escaped: "dtex" + "case/77" and "dtex/case" + "77" were one
    /// key, so the second, a different alert, was answered "duplicate" and dropped (found by an attack). A source without
    /// either character (every one seen so far) keeps the key it always had, so incidents already running still match.
    /// </summary>
    public static string Of(RiskAlert alert) => $"{Escape(alert.Source)}/{alert.AlertId}";

    static string Escape(string source) =>
        source.AsSpan().IndexOfAny('%', '/') < 0 ? source : source.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal);
}

public sealed record AlertSubject(
    string UserPrincipalName,
    string VendorId,
    string SiteId,
    string? EmployeeId = null,
    string? DisplayName = null,
    string? ManagerEmail = null);

public sealed record Indicator(string Kind, string Detail, int? Count = null, DateTimeOffset? ObservedAt = null);

public sealed record EvidenceRef(string Kind, string Uri, string? Sha256 = null);

/// <summary>Severity names and their order; severity travels as a lower-case string on the wire.</summary>
public static class Severities
{
    public const string Low = "low";
    public const string Medium = "medium";
    public const string High = "high";
    public const string Critical = "critical";

    public static readonly IReadOnlyList<string> All = [Low, Medium, High, Critical];

    public static int Rank(string severity) => severity switch
    {
        Low => 0,
        Medium => 1,
        High => 2,
        Critical => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "unknown severity"),
    };

    public static bool IsKnown(string? severity) => severity is Low or Medium or High or Critical;

    /// <summary>Severity derived from the score when the producer sends none.</summary>
    public static string FromScore(double score) => score switch
    {
        >= 90 => Critical,
        >= 70 => High,
        >= 40 => Medium,
        _ => Low,
    };

    public static string Max(string a, string b) => Rank(a) >= Rank(b) ? a : b;
}

public static class IndicatorKinds
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "mass-record-access", "screen-capture", "unapproved-browser-extension", "bribery-solicitation",
        "data-exfiltration", "off-hours-access", "credential-sharing", "other",
    };
}
