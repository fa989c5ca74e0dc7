namespace Cordon.Behaviour;

/// <summary>AccessEvent v1: one thing an agent did in a client's support tool (README "Feeding telemetry").</summary>
public sealed record AccessEvent(
    string SchemaVersion,
    string EventId,
    DateTimeOffset OccurredAt,
    AgentRef Agent,
    string ClientId,
    string Action,
    string? RecordId = null,
    string? CustomerId = null,
    string? TicketId = null,
    int Count = 1);

public sealed record AgentRef(string UserPrincipalName, string VendorId, string SiteId);

public static class AccessActions
{
    public const string Login = "login";
    public const string Logout = "logout";
    public const string Search = "search";
    public const string ViewRecord = "view-record";
    public const string Export = "export";
    public const string ScreenCapture = "screen-capture";
    public const string TicketAssigned = "ticket-assigned";
    public const string TicketClosed = "ticket-closed";

    public static readonly IReadOnlyList<string> All = [Login, Logout, Search, ViewRecord, Export, ScreenCapture, TicketAssigned, TicketClosed];

    /// <summary>Actions that touch customer data and so need a customer (and, for views, a business need).</summary>
    public static bool NeedsCustomer(string action) => action is ViewRecord or TicketAssigned or TicketClosed;

    public static bool NeedsTicket(string action) => action is TicketAssigned or TicketClosed;
}

/// <summary>One refused event of a batch: its position and every reason.</summary>
public sealed record EventRejection(int Index, IReadOnlyList<string> Errors);

/// <summary>The answer to a telemetry batch: 202 {accepted, duplicates, rejected, alerts}; alerts: what the monitor raised from it.</summary>
public sealed record TelemetryReceipt(int Accepted, int Duplicates, IReadOnlyList<EventRejection> Rejected, IReadOnlyList<RaisedAlert>? Alerts = null);
