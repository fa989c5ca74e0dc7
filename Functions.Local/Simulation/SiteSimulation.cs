using Cordon.Behaviour;
using Cordon.Connectors;

namespace Cordon.Local.Simulation;

public enum AgentRole { Agent, TeamLead }

/// <summary>A simulated agent: who, which shift, and whether the simulation made them a bribed insider.</summary>
public sealed record SimulatedAgent(string UserPrincipalName, AgentRole Role, int ShiftStartHour, bool Insider);

/// <summary>
/// A day (or more) of support-tool telemetry for one site of the world: agents on two 8-hour shifts
/// working tickets (assigned → search → record views → closed, the odd stray view and follow-up),
/// team leads with broad access (escalations all shift, a daily export, overtime), agents staying
/// late, and K bribed insiders who at some point harvest customer records they have no ticket for
/// (some on shift with screen captures, some logging in at night and exporting).
/// </summary>
public sealed class SiteSimulation
{
    const int ShiftHours = 8;

    readonly Random rng;
    readonly List<AccessEvent> events = [];
    readonly Dictionary<string, DateTimeOffset> firstIllegitimate = new(StringComparer.OrdinalIgnoreCase);
    readonly string vendorId;
    readonly Site site;
    readonly DateTimeOffset start;
    readonly DateTimeOffset end;
    readonly int seed;
    int sequence;

    SiteSimulation(string vendorId, Site site, DateTimeOffset start, double hours, int seed)
    {
        this.vendorId = vendorId;
        this.site = site;
        this.start = start;
        end = start.AddHours(hours);
        this.seed = seed;
        rng = new Random(seed);
    }

    public IReadOnlyList<SimulatedAgent> Agents { get; private set; } = [];

    /// <summary>Every event, in time order.</summary>
    public IReadOnlyList<AccessEvent> Events => events;

    /// <summary>Each insider's first view without business need (detection delay starts here).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> FirstIllegitimateAt => firstIllegitimate;

    public string SiteId => site.Id;

    public static SiteSimulation Generate(World world, string? siteId, int agents, double hours, int insiders, int seed, DateTimeOffset start)
    {
        if (agents < 1 || hours <= 0 || insiders < 0)
        {
            throw new ArgumentException("--agents and --hours must be positive and --insiders at least 0");
        }

        var sites = world.Vendors.SelectMany(v => v.Sites.Select(s => (Vendor: v, Site: s))).ToList();
        var chosen = siteId is null
            ? sites.FirstOrDefault(s => s.Site.AgentCount >= agents)
            : sites.FirstOrDefault(s => s.Site.Id == siteId);
        if (chosen.Site is null)
        {
            throw new ArgumentException(siteId is null
                ? $"no site in the world has {agents} agents: add one (generatedAgents) or simulate fewer"
                : $"site {siteId} is not in the world");
        }

        if (chosen.Site.AgentCount < agents)
        {
            throw new ArgumentException($"site {chosen.Site.Id} has {chosen.Site.AgentCount} agents, fewer than --agents {agents}");
        }

        if (chosen.Site.ClientIds.Count == 0)
        {
            throw new ArgumentException($"site {chosen.Site.Id} serves no client (clientIds is empty)");
        }

        var sim = new SiteSimulation(chosen.Vendor.Id, chosen.Site, start, hours, seed);
        sim.Run(chosen.Site.AllAgents().Take(agents).ToList(), Math.Min(insiders, agents));
        return sim;
    }

    void Run(List<Agent> people, int insiders)
    {
        int leads = Math.Min(people.Count - insiders, Math.Max(2, people.Count / 40));
        var order = Enumerable.Range(0, people.Count).OrderBy(_ => rng.Next()).ToList();
        var leadSet = order.Take(leads).ToHashSet();
        var insiderSet = order.Skip(leads).Take(insiders).ToHashSet();
        var list = new List<SimulatedAgent>();
        for (int i = 0; i < people.Count; i++)
        {
            var agent = new SimulatedAgent(people[i].UserPrincipalName, leadSet.Contains(i) ? AgentRole.TeamLead : AgentRole.Agent,
                rng.Next(2) == 0 ? 6 : 14, insiderSet.Contains(i));
            list.Add(agent);
            Work(agent, i);
        }

        Agents = list;
        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
    }

    void Work(SimulatedAgent agent, int index)
    {
        double ticketsPerHour = agent.Role == AgentRole.TeamLead ? 9 : 3 + (rng.NextDouble() * 3);
        for (DateTimeOffset day = Midnight(start); day < end; day = day.AddDays(1))
        {
            DateTimeOffset shiftStart = day.AddHours(agent.ShiftStartHour);
            DateTimeOffset shiftEnd = shiftStart.AddHours(ShiftHours);
            // Overtime: team leads often stay, agents sometimes do.
            double overtime = rng.NextDouble() < (agent.Role == AgentRole.TeamLead ? 0.3 : 0.1) ? 15 + rng.Next(30) : 0;
            DateTimeOffset t = shiftStart.AddMinutes(rng.Next(10));
            Emit(agent, index, t, AccessActions.Login, Client());
            t = t.AddMinutes(1 + rng.Next(4));
            while (t < shiftEnd.AddMinutes(overtime))
            {
                t = agent.Role == AgentRole.TeamLead ? Escalation(agent, index, t) : Ticket(agent, index, t);
                t = t.AddMinutes(Math.Max(0.3, (60 / ticketsPerHour) - 8 + (rng.NextDouble() * 4)));
            }

            if (agent.Role == AgentRole.TeamLead)
            {
                Emit(agent, index, shiftEnd.AddMinutes(-20 - rng.Next(20)), AccessActions.Export, Client(), count: 100 + rng.Next(400));
            }

            Emit(agent, index, t, AccessActions.Logout, Client());
        }

        if (agent.Insider)
        {
            DateTimeOffset at = HarvestTime(agent);
            Harvest(agent, index, at, onShift: InShift(agent, at));
        }
    }

    /// <summary>
    /// When the insider harvests: after 40 % of the simulated time (the monitor has a baseline by then)
    /// and at least an hour before the end; on shift seven times in ten, otherwise at a quiet hour.
    /// </summary>
    DateTimeOffset HarvestTime(SimulatedAgent agent)
    {
        DateTimeOffset earliest = start + ((end - start) * 0.4);
        DateTimeOffset latest = end.AddHours(-1) > earliest ? end.AddHours(-1) : earliest;
        bool onShift = rng.NextDouble() < 0.7;
        for (int attempt = 0; attempt < 500; attempt++)
        {
            DateTimeOffset at = earliest + ((latest - earliest) * rng.NextDouble());
            if (InShift(agent, at) == onShift && (!onShift || InShift(agent, at.AddMinutes(-60)) && InShift(agent, at.AddMinutes(60))))
            {
                return at;
            }
        }

        return earliest;
    }

    static bool InShift(SimulatedAgent agent, DateTimeOffset at)
    {
        double hour = at.UtcDateTime.TimeOfDay.TotalHours;
        return hour >= agent.ShiftStartHour && hour < agent.ShiftStartHour + ShiftHours;
    }

    DateTimeOffset Ticket(SimulatedAgent agent, int index, DateTimeOffset t)
    {
        string client = Client();
        string customer = Customer(client);
        string ticket = $"T{index}-{sequence}";
        Emit(agent, index, t, AccessActions.TicketAssigned, client, customer: customer, ticket: ticket);
        DateTimeOffset at = t.AddSeconds(10 + rng.Next(50));
        Emit(agent, index, at, AccessActions.Search, client);
        int views = 1 + rng.Next(4);
        for (int v = 0; v < views; v++)
        {
            at = at.AddSeconds(20 + rng.Next(160));
            Emit(agent, index, at, AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r{rng.Next(20)}");
        }

        if (rng.NextDouble() < 0.01)
        {
            // A stray look-up: a mistyped account number, innocent and rare.
            string other = Customer(client);
            Emit(agent, index, at.AddSeconds(30), AccessActions.ViewRecord, client, customer: other, record: $"{other}/r0");
        }

        DateTimeOffset closed = at.AddMinutes(1 + rng.Next(6));
        Emit(agent, index, closed, AccessActions.TicketClosed, client, customer: customer, ticket: ticket);
        if (rng.NextDouble() < 0.05)
        {
            Emit(agent, index, closed.AddMinutes(5 + rng.Next(35)), AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r0");
        }

        return closed;
    }

    /// <summary>A team lead's escalation: broad access, many views, all with a ticket.</summary>
    DateTimeOffset Escalation(SimulatedAgent agent, int index, DateTimeOffset t)
    {
        string client = Client();
        string customer = Customer(client);
        string ticket = $"E{index}-{sequence}";
        Emit(agent, index, t, AccessActions.TicketAssigned, client, customer: customer, ticket: ticket);
        DateTimeOffset at = t;
        int views = 3 + rng.Next(4);
        for (int v = 0; v < views; v++)
        {
            at = at.AddSeconds(15 + rng.Next(60));
            Emit(agent, index, at, AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r{rng.Next(20)}");
        }

        DateTimeOffset closed = at.AddMinutes(1 + rng.Next(3));
        Emit(agent, index, closed, AccessActions.TicketClosed, client, customer: customer, ticket: ticket);
        return closed;
    }

    /// <summary>The bribed insider's harvest: customers with no ticket, on shift with screen captures or off shift with an export.</summary>
    void Harvest(SimulatedAgent agent, int index, DateTimeOffset t, bool onShift)
    {
        bool atNight = !onShift;
        if (atNight)
        {
            Emit(agent, index, t, AccessActions.Login, Client());
        }

        int customers = 14 + rng.Next(17);
        int captures = 2 + rng.Next(4);
        double spacing = (20 + rng.Next(21)) * 60.0 / customers;
        for (int c = 0; c < customers; c++)
        {
            t = t.AddSeconds(spacing * (0.5 + rng.NextDouble()));
            string client = Client();
            string customer = Customer(client);
            Emit(agent, index, t, AccessActions.Search, client);
            Emit(agent, index, t.AddSeconds(5), AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r0");
            firstIllegitimate.TryAdd(agent.UserPrincipalName, t.AddSeconds(5));
            if (c % Math.Max(1, customers / captures) == 0)
            {
                Emit(agent, index, t.AddSeconds(8), AccessActions.ScreenCapture, client, customer: customer, record: $"{customer}/r0");
            }
        }

        if (atNight)
        {
            Emit(agent, index, t.AddMinutes(2), AccessActions.Export, Client(), count: 50 + rng.Next(200));
            Emit(agent, index, t.AddMinutes(3), AccessActions.Logout, Client());
        }
    }

    static DateTimeOffset Midnight(DateTimeOffset t) => new(t.UtcDateTime.Date, TimeSpan.Zero);

    string Client() => site.ClientIds[rng.Next(site.ClientIds.Count)];

    string Customer(string client) => $"{client}-c{rng.Next(1_000_000):D6}";

    void Emit(SimulatedAgent agent, int index, DateTimeOffset at, string action, string client,
        string? customer = null, string? ticket = null, string? record = null, int count = 1)
    {
        sequence++;
        if (at < start || at >= end)
        {
            return;
        }

        events.Add(new AccessEvent("1.0", $"s{seed}-{index}-{sequence}", at, new AgentRef(agent.UserPrincipalName, vendorId, site.Id),
            client, action, record, customer, ticket, count));
    }
}
