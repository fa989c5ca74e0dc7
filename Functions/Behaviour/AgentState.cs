using System.Text.Json.Serialization;
using Cordon.Alerts;

namespace Cordon.Behaviour;

/// <summary>
/// Everything the monitor remembers about one agent, stored as one JSON document per agent
/// (Azure Table Storage or memory) and updated with optimistic concurrency.
/// </summary>
public sealed class AgentState
{
    /// <summary>Event ids remembered for dedupe at most; older hours are forgotten first.</summary>
    public const int SeenIdLimit = 5000;

    /// <summary>Characters of one remembered event id (a 48-bit fingerprint in hex).</summary>
    public const int SeenIdChars = 12;

    const int ClientLimit = 64;
    const int CustomerLimit = 1000;

    public string UserPrincipalName { get; set; } = "";

    public string VendorId { get; set; } = "";

    public string SiteId { get; set; } = "";

    /// <summary>The scoring clock: the latest event time seen (never the wall clock).</summary>
    public DateTimeOffset? LastAt { get; set; }

    /// <summary>The score as of <see cref="LastAt"/>.</summary>
    public double Score { get; set; }

    public Dictionary<string, ReasonTally> Reasons { get; set; } = [];

    /// <summary>Distinct customers (fingerprints) whose records were viewed without business need while that reason counts.</summary>
    public List<string> UnjustifiedCustomers { get; set; } = [];

    public List<string> ClientIds { get; set; } = [];

    /// <summary>The agent's tickets (fingerprints of ticket and customer): open, or closed within the grace period.</summary>
    public Dictionary<string, Ticket> Tickets { get; set; } = [];

    public HourBucket? Current { get; set; }

    /// <summary>Completed active hours within the baseline window, oldest first.</summary>
    public List<HourBucket> Baseline { get; set; } = [];

    /// <summary>Views within the burst window: (customer, time), oldest first.</summary>
    public List<RecentView> RecentViews { get; set; } = [];

    public DateTimeOffset? LastBurstAt { get; set; }

    /// <summary>
    /// The customers (fingerprints) of the bursts counted while that reason counts: a burst corroborates customers without
    /// business need only when it is made of them (a busy hour of ticketed calls is a burst of customers the agent had
    /// reason to open).
    /// </summary>
    public List<string> BurstCustomers { get; set; } = [];

    /// <summary>Views with no ticket yet, judged when a ticket arrives within the grace period or when it has passed.</summary>
    public List<RecentView> Provisional { get; set; } = [];

    /// <summary>
    /// When a view was last judged because its client's ticket feed was silent (or never seen) for the whole wait, not
    /// because the tickets came past it: until the episode's customers are forgotten, its evidence asks first.
    /// </summary>
    public DateTimeOffset? WeakJudgedAt { get; set; }

    /// <summary>
    /// Views judged after waiting for their ticket, kept for a day of the agent's clock (at most <see cref="JudgedLimit"/>):
    /// a ticket that comes later still (a batch redelivered after a later one, an outage's backlog) takes its customer back.
    /// </summary>
    public List<JudgedView> Judged { get; set; } = [];

    /// <summary>Judged views remembered at most; the oldest are forgotten first.</summary>
    public const int JudgedLimit = 500;

    /// <summary>A view judged weak was forgotten before the backlog confirmed it: the episode asks first until it is forgotten.</summary>
    public bool WeakForgotten { get; set; }

    /// <summary>The long memory: one record per local day of the site, oldest first, kept for the policy's history days.</summary>
    public List<DayRecord> Days { get; set; } = [];

    /// <summary>Distinct customers without business need over the last 7 and 30 local days (as of <see cref="ExposureDate"/>).</summary>
    public int Exposure7 { get; set; }

    public int Exposure30 { get; set; }

    public string? ExposureDate { get; set; }

    /// <summary>The learned working hours (bit h: local hour h), computed once a day; null until there is enough history.</summary>
    public int? LearnedHours { get; set; }

    public string? LearnedHoursDate { get; set; }

    /// <summary>Keys of the event ids seen within the dedupe window (<see cref="SeenScheme"/>), per hour of event time, oldest first.</summary>
    public List<SeenHour> Seen { get; set; } = [];

    /// <summary>How <see cref="Seen"/> keys are made; null in states written before keys were XxHash3 (their ids move to <see cref="LegacySeen"/>).</summary>
    public string? SeenScheme { get; set; }

    /// <summary>SHA-256 fingerprints of ids seen by an earlier version, still recognised until they leave the dedupe window.</summary>
    public List<SeenHour> LegacySeen { get; set; } = [];

    public int SeenCount => Seen.Sum(h => h.Ids.Length / SeenIdChars) + LegacySeen.Sum(h => h.Ids.Length / SeenIdChars);

    /// <summary>The live key set of <see cref="Seen"/> and <see cref="LegacySeen"/> (not stored: built again when the state is read).</summary>
    internal SeenIds? SeenIndex;

    /// <summary>The agent's alert streams: the number of the latest, whether it is open, its updates and severity.</summary>
    public int Stream { get; set; }

    public bool StreamOpen { get; set; }

    public int StreamUpdates { get; set; }

    public string? StreamSeverity { get; set; }

    /// <summary>Alerts raised but not yet taken by intake (normally none: they are handed over right after the state is stored).</summary>
    public List<RiskAlert> Undelivered { get; set; } = [];

    /// <summary>Undelivered alerts kept at most; the newest of a stream explains everything the older ones did.</summary>
    const int UndeliveredLimit = 20;

    public void RememberUndelivered(RiskAlert alert)
    {
        Undelivered.RemoveAll(a => a.AlertId == alert.AlertId);
        if (Undelivered.Count >= UndeliveredLimit)
        {
            Undelivered.RemoveAt(0);
        }

        Undelivered.Add(alert);
    }

    public void RememberClient(string clientId)
    {
        if (!ClientIds.Contains(clientId) && ClientIds.Count < ClientLimit)
        {
            ClientIds.Add(clientId);
        }
    }

    public bool AddUnjustifiedCustomer(string customerId) => AddBounded(UnjustifiedCustomers, customerId);

    public void AddBurstCustomer(string customerId) => AddBounded(BurstCustomers, customerId);

    /// <summary>Adds a customer not yet in the list, dropping the oldest past <see cref="CustomerLimit"/>; false when it was there.</summary>
    static bool AddBounded(List<string> customers, string customerId)
    {
        if (customers.Contains(customerId))
        {
            return false;
        }

        if (customers.Count >= CustomerLimit)
        {
            customers.RemoveAt(0);
        }

        customers.Add(customerId);
        return true;
    }
}

public sealed class ReasonTally
{
    /// <summary>Points as of <see cref="AgentState.LastAt"/> (decayed with the score).</summary>
    public double Points { get; set; }

    /// <summary>How many times the reason fired since its points were last negligible.</summary>
    public int Count { get; set; }

    public DateTimeOffset LastAt { get; set; }

    public string Detail { get; set; } = "";
}

/// <summary>The event ids (fingerprints of <see cref="AgentState.SeenIdChars"/> characters, concatenated) of one hour of event time.</summary>
public sealed class SeenHour
{
    public DateTimeOffset Hour { get; set; }

    public string Ids { get; set; } = "";
}

public sealed record Ticket(string CustomerId, DateTimeOffset? ClosedAt)
{
    /// <summary>When it was assigned (null: recorded before this was kept, or closed without an assignment seen).</summary>
    public DateTimeOffset? AssignedAt { get; init; }
}

/// <summary>
/// A view (customer, time); <see cref="CitedClient"/> set on a provisional view that cited a ticket not known yet. The
/// optional parts are not stored when absent: an agent keeps up to a thousand recent views, which carry none.
/// </summary>
public sealed record RecentView(string CustomerId, DateTimeOffset At)
{
    /// <summary>The client whose record it was (on provisional views: its ticket events say when the view can be judged; null before this was kept).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientId { get; init; }

    /// <summary>The client of the unknown ticket the view cited: if none arrives within the grace, the citation was a mismatch.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CitedClient { get; init; }

    /// <summary>That ticket's fingerprint (client and number): looked up in the site's index until the view is judged.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CitedTicket { get; init; }
}

/// <summary>
/// A view judged without business need after its wait (<see cref="JudgedAt"/> on the agent's clock). <see cref="Weak"/>: judged
/// because its client's ticket feed was silent, until the feed comes past it. <see cref="Counted"/> and <see cref="DayCounted"/>:
/// this judgement put the customer in the episode and in its day (taking it back takes them out, unless another judged view of
/// the customer still holds). A view citing another customer's ticket is not taken back.
/// </summary>
public sealed record JudgedView(string CustomerId, DateTimeOffset At, DateTimeOffset JudgedAt)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? ClientId { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Weak { get; init; }

    /// <summary>The view cited a ticket of another customer: a mismatch no ticket takes back.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Mismatch { get; init; }

    /// <summary>The view cited a ticket not known when it was judged (a mismatch, "does not exist"): a ticket of the customer takes it back.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool CitedUnknown { get; init; }

    /// <summary>That ticket's fingerprint (client and number), while the view is weak: a review of it is justified once the site's index knows it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? CitedTicket { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Counted { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool DayCounted { get; init; }
}

/// <summary>One local day of an agent: customers viewed without business need, views, active hours.</summary>
public sealed class DayRecord
{
    /// <summary>Customers remembered per day; beyond it only the count grows (a month stays inside one table entity).</summary>
    public const int CustomerLimit = 200;

    /// <summary>The local date (yyyy-MM-dd in the site's zone).</summary>
    public string Date { get; set; } = "";

    /// <summary>Distinct customers viewed without business need that day.</summary>
    public int Unjustified { get; set; }

    /// <summary>Fingerprints of those customers (at most <see cref="CustomerLimit"/>).</summary>
    public List<string> Customers { get; set; } = [];

    public int Views { get; set; }

    /// <summary>Local hours with data access: bit h set for the hour from h:00.</summary>
    public int Hours { get; set; }

    /// <summary>Views with a ticket id that did not exist or was another customer's.</summary>
    public int Mismatches { get; set; }
}

/// <summary>One hour of an agent's activity.</summary>
public sealed class HourBucket
{
    public DateTimeOffset Hour { get; set; }

    public int Views { get; set; }

    public int Searches { get; set; }

    public int Exports { get; set; }

    public int OffShift { get; set; }

    /// <summary>Reasons already counted for this hour (volume reasons fire once per hour).</summary>
    public List<string> Flagged { get; set; } = [];
}

/// <summary>The peer group (site and role): each agent's typical views per active hour, 7-day exposure and working hours.</summary>
public sealed class PeerGroup
{
    public Dictionary<string, double> TypicalViews { get; set; } = [];

    /// <summary>Each agent's distinct customers without business need over the last 7 local days.</summary>
    public Dictionary<string, int> Exposure7 { get; set; } = [];

    /// <summary>Each agent's learned working hours (bit h: the local hour from h:00).</summary>
    public Dictionary<string, int> UsualHours { get; set; } = [];

    public PeerGroup Copy() => new() { TypicalViews = new(TypicalViews), Exposure7 = new(Exposure7), UsualHours = new(UsualHours) };
}
