using System.Text.Json;
using System.Text.Json.Serialization;
using Cordon.Alerts;

namespace Cordon.Policy;

/// <summary>
/// The response policy: what Cordon does for an alert, who decides, how long it waits.
/// Configuration, not code: loaded from JSON (--policy locally, the Cordon:Policy app setting in Azure)
/// and captured into each incident at its start, so a running incident never changes rules mid-flight.
/// </summary>
public sealed record ResponsePolicy
{
    /// <summary>At or above this severity Cordon contains without asking first.</summary>
    public string AutoContainAtOrAbove { get; init; } = Severities.High;

    /// <summary>Below this severity the alert is only recorded (an incident is opened and closed as Unreviewed).</summary>
    public string RecordOnlyBelow { get; init; } = Severities.Low;

    /// <summary>Groups removed at containment; empty means every group membership.</summary>
    public IReadOnlyList<string> PrivilegedGroups { get; init; } = [];

    public GatePolicy Confirm { get; init; } = new()
    {
        Chain = ["securityLead", "deputy", "ciso"],
        StepTimeout = TimeSpan.FromHours(1),
    };

    /// <summary>Legal first, then the CISO: a notice that nobody approves must reach someone well inside CERT-In's 6 h.</summary>
    public GatePolicy Notify { get; init; } = new()
    {
        Chain = ["legal", "ciso"],
        StepTimeout = TimeSpan.FromHours(2),
    };

    public GatePolicy VendorOffboarding { get; init; } = new()
    {
        Chain = ["vendorManagement", "ciso"],
        StepTimeout = TimeSpan.FromHours(8),
        Quorum = 2,
    };

    public OffboardingTrigger OffboardingTrigger { get; init; } = new();

    public StepRetryPolicy Retry { get; init; } = new();

    /// <summary>Regulatory clocks by jurisdiction name; clients list the jurisdictions that apply to them.</summary>
    public IReadOnlyDictionary<string, RegulatoryClock> Clocks { get; init; } = RegulatoryClock.Defaults;

    /// <summary>Reminders go out this long before each deadline (largest first).</summary>
    public IReadOnlyList<TimeSpan> ReminderLeadTimes { get; init; } = [TimeSpan.FromHours(2), TimeSpan.FromMinutes(30)];

    /// <summary>How long already-issued credentials can outlive containment, per resource class.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Exposure { get; init; } = new Dictionary<string, TimeSpan>
    {
        ["cae"] = TimeSpan.FromMinutes(15),
        ["entra-token"] = TimeSpan.FromMinutes(90),
    };

    /// <summary>Offboarding fan-out: accounts per batch and batches in flight.</summary>
    public int OffboardingBatchSize { get; init; } = 20;

    public int OffboardingParallelism { get; init; } = 4;

    /// <summary>Behaviour monitoring: how access telemetry is scored into alerts.</summary>
    public MonitoringPolicy Monitoring { get; init; } = new();

    /// <summary>
    /// How a policy document is read (<see cref="ConfigurationJson.Strict"/>): unknown fields and a null where a value is
    /// needed ("confirm": null) are refused. Only for the document: incidents carry the policy in their own serialization.
    /// </summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
    };

    public static ResponsePolicy Default { get; } = new();

    /// <summary>Reads and validates a policy; throws <see cref="PolicyException"/> naming every bad field.</summary>
    public static ResponsePolicy Parse(string json, string origin)
    {
        ResponsePolicy? policy;
        try
        {
            policy = JsonSerializer.Deserialize<ResponsePolicy>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new PolicyException($"policy {origin} is not valid{ConfigurationJson.Describe(ex)}");
        }

        if (policy is null)
        {
            throw new PolicyException($"policy {origin} is empty");
        }

        // The serializer checks fields, not what lists and maps hold: "clocks": { "GDPR": null } is refused here.
        if (ConfigurationJson.NullElements(policy) is { Count: > 0 } nulls)
        {
            throw new PolicyException($"policy {origin} is not valid: {string.Join("; ", nulls)}");
        }

        var errors = policy.Validate();
        if (errors.Count > 0)
        {
            throw new PolicyException($"policy {origin} is not valid: {string.Join("; ", errors)}");
        }

        return policy;
    }

    public static ResponsePolicy Load(string path) =>
        File.Exists(path)
            ? Parse(File.ReadAllText(path), path)
            : throw new PolicyException($"policy file {path} does not exist");

    /// <summary>The longest step of a gate's chain: a decision that waits longer is not a response.</summary>
    public static readonly TimeSpan MaxStepTimeout = TimeSpan.FromDays(30);

    /// <summary>The longest window, clock or span a policy may set: what is added to dates stays on the calendar.</summary>
    public static readonly TimeSpan MaxSpan = TimeSpan.FromDays(400);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Severities.IsKnown(AutoContainAtOrAbove))
        {
            errors.Add("autoContainAtOrAbove must be low, medium, high or critical");
        }

        if (!Severities.IsKnown(RecordOnlyBelow))
        {
            errors.Add("recordOnlyBelow must be low, medium, high or critical");
        }

        Confirm.Validate(Gates.Confirm, errors);
        Notify.Validate(Gates.Notify, errors);
        VendorOffboarding.Validate(Gates.VendorOffboarding, errors);
        if (VendorOffboarding.Quorum < 2)
        {
            errors.Add("vendorOffboarding.quorum must be at least 2: offboarding a site needs two distinct approvers");
        }

        if (OffboardingTrigger.ConfirmedInsiders < 1)
        {
            errors.Add("offboardingTrigger.confirmedInsiders must be at least 1");
        }

        if (OffboardingTrigger.Window <= TimeSpan.Zero || OffboardingTrigger.Window > MaxSpan)
        {
            errors.Add($"offboardingTrigger.window must be positive (at most {MaxSpan.TotalDays:0} days)");
        }

        if (Retry.MaxAttempts < 1)
        {
            errors.Add("retry.maxAttempts must be at least 1");
        }

        if (Retry.FirstRetry <= TimeSpan.Zero || Retry.FirstRetry > TimeSpan.FromDays(1))
        {
            errors.Add("retry.firstRetry must be positive (at most a day)");
        }

        if (Retry.MaxRetryInterval <= TimeSpan.Zero || Retry.MaxRetryInterval > TimeSpan.FromDays(1))
        {
            errors.Add("retry.maxRetryInterval must be positive (at most a day)");
        }

        if (Retry.BackoffCoefficient < 1)
        {
            errors.Add("retry.backoffCoefficient must be at least 1");
        }

        foreach (var (name, clock) in Clocks)
        {
            if ((clock.Within <= TimeSpan.Zero && clock.BusinessDays <= 0) || clock.Within > MaxSpan || clock.BusinessDays > 260)
            {
                errors.Add($"clocks.{name}.within must be positive (or businessDays set), at most {MaxSpan.TotalDays:0} days or 260 business days");
            }

            if (clock.From is not ClockStart.Confirmed and not ClockStart.Detected)
            {
                errors.Add($"clocks.{name}.from must be confirmed or detected");
            }
        }

        if (ReminderLeadTimes.Any(t => t <= TimeSpan.Zero || t > MaxSpan))
        {
            errors.Add($"reminderLeadTimes must all be positive (at most {MaxSpan.TotalDays:0} days)");
        }

        foreach (var (name, span) in Exposure)
        {
            if (span < TimeSpan.Zero || span > MaxSpan)
            {
                errors.Add($"exposure.{name} must not be negative (at most {MaxSpan.TotalDays:0} days)");
            }
        }

        if (OffboardingBatchSize is < 1 or > 20)
        {
            errors.Add("offboardingBatchSize must be 1..20 (Graph $batch holds at most 20 requests)");
        }

        if (OffboardingParallelism is < 1 or > 64)
        {
            errors.Add("offboardingParallelism must be 1..64");
        }

        Monitoring.Validate(errors);

        return errors;
    }
}

/// <summary>A human decision point: who is asked, in what order, for how long, and how many must agree.</summary>
public sealed record GatePolicy
{
    /// <summary>Approver roles asked in turn; each later role is an escalation after the step timeout.</summary>
    public IReadOnlyList<string> Chain { get; init; } = [];

    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromHours(1);

    public int Quorum { get; init; } = 1;

    /// <summary>Whether links sent to earlier roles stay valid after escalation.</summary>
    public bool EarlierLinksStayValid { get; init; } = true;

    /// <summary>The longest escalation chain: its links stay valid for up to every step's timeout together.</summary>
    public const int MaxChain = 10;

    internal void Validate(string name, List<string> errors)
    {
        if (Chain.Count is 0 or > MaxChain)
        {
            errors.Add($"{name}.chain must name 1..{MaxChain} approver roles");
        }

        // Bounded: the gate adds it to the clock and multiplies it by the chain's length (found by an attack: 5,000,000 days
        // loaded as valid, and every incident then failed when its gate opened).
        if (StepTimeout <= TimeSpan.Zero || StepTimeout > ResponsePolicy.MaxStepTimeout)
        {
            errors.Add($"{name}.stepTimeout must be positive (at most {ResponsePolicy.MaxStepTimeout.TotalDays:0} days)");
        }

        if (Quorum < 1)
        {
            errors.Add($"{name}.quorum must be at least 1");
        }
    }
}

public sealed record OffboardingTrigger
{
    /// <summary>Confirmed insiders at one site within <see cref="Window"/> that start vendor offboarding.</summary>
    public int ConfirmedInsiders { get; init; } = 2;

    public TimeSpan Window { get; init; } = TimeSpan.FromDays(30);
}

public sealed record StepRetryPolicy
{
    public int MaxAttempts { get; init; } = 4;

    public TimeSpan FirstRetry { get; init; } = TimeSpan.FromSeconds(2);

    public double BackoffCoefficient { get; init; } = 2;

    public TimeSpan MaxRetryInterval { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// When a regulatory clock starts: at confirmation, or at detection. Its wire name (<see cref="ClockStarts.Name"/>,
/// "confirmed" / "detected") is what an incident's deadlines carry in the API and in stored histories.
/// </summary>
public enum ClockStart
{
    Confirmed,
    Detected,
}

public static class ClockStarts
{
    /// <summary>The wire name: "confirmed" or "detected".</summary>
    public static string Name(this ClockStart start) => JsonNamingPolicy.CamelCase.ConvertName(start.ToString());
}

/// <summary>Writes a clock start by its wire name ("detected"); reads it in any case (and old numbers).</summary>
public sealed class ClockStartJsonConverter() : JsonStringEnumConverter<ClockStart>(JsonNamingPolicy.CamelCase);

/// <summary>A regulatory notification deadline (docs/architecture.md, "Field facts").</summary>
public sealed record RegulatoryClock
{
    public string Description { get; init; } = "";

    public TimeSpan Within { get; init; }

    /// <summary>Business days (Mon–Fri) instead of a duration, e.g. SEC 8-K Item 1.05.</summary>
    public int BusinessDays { get; init; }

    public ClockStart From { get; init; } = ClockStart.Confirmed;

    public static IReadOnlyDictionary<string, RegulatoryClock> Defaults { get; } = new Dictionary<string, RegulatoryClock>
    {
        ["CERT-In"] = new() { Description = "CERT-In (India) incident report", Within = TimeSpan.FromHours(6), From = ClockStart.Detected },
        ["GDPR"] = new() { Description = "GDPR Art. 33 notice to the supervisory authority", Within = TimeSpan.FromHours(72) },
        ["DPDP"] = new() { Description = "India DPDP Rules 2025 Rule 7 detailed report to the Board", Within = TimeSpan.FromHours(72) },
        ["NYDFS"] = new() { Description = "NYDFS 23 NYCRR 500.17(a) notice", Within = TimeSpan.FromHours(72) },
        ["SEC-8K"] = new() { Description = "SEC Form 8-K Item 1.05 filing", BusinessDays = 4 },
        ["HIPAA"] = new() { Description = "HIPAA §164.404 notice to individuals", Within = TimeSpan.FromDays(60) },
        ["US-State"] = new() { Description = "US state breach notice (e.g. Texas AG)", Within = TimeSpan.FromDays(30) },
    };

    /// <summary>The due time from the clock start, counting business days where the clock says so.</summary>
    public DateTime DueFrom(DateTime start)
    {
        // Saturates at the calendar's end rather than throwing: a clock must never fail the incident it runs in
        // (intake refuses such times; incidents started before that may carry one).
        if (DateTime.MaxValue - start < Within + TimeSpan.FromDays(BusinessDays * 2 + 7))
        {
            return DateTime.MaxValue;
        }

        if (BusinessDays <= 0)
        {
            return start + Within;
        }

        DateTime due = start;
        int left = BusinessDays;
        while (left > 0)
        {
            due = due.AddDays(1);
            if (due.DayOfWeek is not DayOfWeek.Saturday and not DayOfWeek.Sunday)
            {
                left--;
            }
        }

        return due;
    }
}

public sealed class PolicyException(string message) : Exception(message);
