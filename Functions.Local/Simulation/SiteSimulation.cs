using Cordon.Behaviour;
using Cordon.World;

namespace Cordon.Local.Simulation;

/// <summary>What a simulated agent does on the floor; several are innocents that look odd to naive rules.</summary>
public enum Persona { Agent, TeamLead, Qa, Escalation, NightShift, NewHire, TripleDay, Insider, Quitter }

/// <summary>
/// A simulated agent: who, its world role, what it does, its shift (local start hour in the site's zone), and for a bribed
/// insider the customers it harvests per shift without business need (a quitter: the customers of its last-day dump).
/// </summary>
public sealed record SimulatedAgent(string UserPrincipalName, string Role, Persona Persona, int ShiftStartHour, int Rate)
{
    public bool Insider => Persona is Persona.Insider or Persona.Quitter;
}

/// <summary>
/// Days of support-tool telemetry for one site of the world, in the site's time zone: agents on morning, evening and night
/// shifts working tickets (assigned → search → record views → closed, the odd stray view and follow-up), and the innocents a
/// naive rule flags: team leads (escalations, a daily export, overtime), QA leads reviewing ~80 closed tickets of others a
/// day (views carrying the ticket id), an escalation desk whose calls open the record a minute before the ticket reaches it,
/// a night shift, a new hire who starts mid-run with no history, agents with one day of triple volume. Bribed insiders work
/// their tickets like everyone and, from the second day on, view a fixed number of customers per shift with no ticket,
/// spread over the shift (the slow harvest: no export, no screen capture the tool can see). A quitter works its tickets like
/// everyone until its last shift, dumps <see cref="DumpSize"/> customers in the ten minutes before logging off, and never
/// comes back (the bribed agent's last day).
/// </summary>
public sealed class SiteSimulation
{
    public static readonly IReadOnlyList<int> DefaultRates = [10, 15, 25, 60];

    /// <summary>Customers a quitter views in the ten minutes before it logs off for good.</summary>
    public const int DumpSize = 40;

    const int ShiftHours = 8;

    readonly Random rng;
    readonly List<AccessEvent> events = [];
    readonly Dictionary<string, List<DateTimeOffset>> harvests = new(StringComparer.OrdinalIgnoreCase);
    readonly List<(string Ticket, string Client, string Customer, DateTimeOffset ClosedAt)> closedTickets = [];
    /// <summary>When each quitter logged off for good: nothing of it comes after.</summary>
    readonly Dictionary<string, DateTimeOffset> quits = new(StringComparer.OrdinalIgnoreCase);
    readonly string vendorId;
    readonly Site site;
    readonly TimeZoneInfo zone;
    readonly DateTimeOffset start;
    readonly DateTimeOffset end;
    readonly int seed;
    int sequence;

    SiteSimulation(string vendorId, Site site, DateTimeOffset start, double hours, int seed)
    {
        this.vendorId = vendorId;
        this.site = site;
        zone = site.Zone;
        this.start = start;
        end = start.AddHours(hours);
        this.seed = seed;
        rng = new Random(seed);
    }

    public IReadOnlyList<SimulatedAgent> Agents { get; private set; } = [];

    /// <summary>Every event, in time order.</summary>
    public IReadOnlyList<AccessEvent> Events => events;

    /// <summary>Each insider's views without business need, in time order (one customer each).</summary>
    public IReadOnlyDictionary<string, List<DateTimeOffset>> Harvests => harvests;

    /// <summary>Each insider's first view without business need (detection delay starts here).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> FirstIllegitimateAt =>
        harvests.Where(h => h.Value.Count > 0).ToDictionary(h => h.Key, h => h.Value[0], StringComparer.OrdinalIgnoreCase);

    public string SiteId => site.Id;

    public double Hours => (end - start).TotalHours;

    public static SiteSimulation Generate(WorldModel world, string? siteId, int agents, double hours, int insiders, int seed, DateTimeOffset start, IReadOnlyList<int>? rates = null, int quitters = 0)
    {
        if (agents < 1 || hours <= 0 || insiders < 0 || quitters < 0)
        {
            throw new ArgumentException("--agents and --hours must be positive and --insiders and --quitters at least 0");
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

        rates ??= DefaultRates;
        if (rates.Count == 0 || rates.Any(r => r < 1))
        {
            throw new ArgumentException("--rates needs at least one whole number of customers per shift, each at least 1");
        }

        var sim = new SiteSimulation(chosen.Vendor.Id, chosen.Site, start, hours, seed);
        sim.Run(chosen.Site.AllAgents().Take(agents).ToList(), Math.Min(insiders, agents), rates, quitters);
        return sim;
    }

    void Run(List<Agent> people, int insiders, IReadOnlyList<int> rates, int quitters)
    {
        // The world's roles come first; among plain agents the simulation picks insiders and the odd-looking innocents.
        var plain = Enumerable.Range(0, people.Count).Where(i => people[i].Role == AgentRoles.Agent).OrderBy(_ => rng.Next()).ToList();
        var persona = new Persona[people.Count];
        for (int i = 0; i < people.Count; i++)
        {
            persona[i] = people[i].Role switch
            {
                AgentRoles.TeamLead => Persona.TeamLead,
                AgentRoles.Qa => Persona.Qa,
                AgentRoles.Escalation => Persona.Escalation,
                _ => Persona.Agent,
            };
        }

        int n = plain.Count;
        int next = 0;
        void Assign(Persona p, int count)
        {
            for (int k = 0; k < count && next < n; k++)
            {
                persona[plain[next++]] = p;
            }
        }

        Assign(Persona.Insider, insiders);
        if (!people.Any(p => p.Role == AgentRoles.TeamLead))
        {
            Assign(Persona.TeamLead, Math.Max(2, n / 40)); // a world without declared leads still has leads on the floor
        }

        Assign(Persona.NightShift, Math.Max(1, n * 15 / 100));
        Assign(Persona.NewHire, Math.Max(1, n / 50));
        Assign(Persona.TripleDay, Math.Max(1, n / 20));
        // Last and without drawing from the generator: every other agent's day is the same with quitters or without.
        Assign(Persona.Quitter, quitters);

        var list = new List<SimulatedAgent>();
        int insider = 0;
        for (int i = 0; i < people.Count; i++)
        {
            Persona p = persona[i];
            int shift = p switch
            {
                Persona.NightShift => 22,
                Persona.Qa => 9,
                _ => rng.Next(2) == 0 ? 7 : 14,
            };
            list.Add(new SimulatedAgent(people[i].UserPrincipalName, people[i].Role, p, shift, p switch
            {
                Persona.Insider => rates[insider++ % rates.Count],
                Persona.Quitter => DumpSize,
                _ => 0,
            }));
        }

        Agents = list;
        // Reviewers last: they review the tickets everyone else closed.
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].Persona != Persona.Qa)
            {
                Work(list[i], i);
            }
        }

        closedTickets.Sort((a, b) => a.ClosedAt.CompareTo(b.ClosedAt));
        for (int i = 0; i < list.Count; i++)
        {
            if (list[i].Persona == Persona.Qa)
            {
                Review(list[i], i);
            }
        }

        events.Sort((a, b) => a.OccurredAt.CompareTo(b.OccurredAt));
        foreach (List<DateTimeOffset> h in harvests.Values)
        {
            h.Sort();
        }
    }

    /// <summary>The local days the run touches (from the day before, for a night shift that started then).</summary>
    IEnumerable<(int Index, DateTimeOffset ShiftStart)> Shifts(SimulatedAgent agent)
    {
        DateTime first = TimeZoneInfo.ConvertTime(start, zone).Date.AddDays(-1);
        DateTime last = TimeZoneInfo.ConvertTime(end, zone).Date;
        int index = 0;
        for (DateTime day = first; day <= last; day = day.AddDays(1), index++)
        {
            DateTime local = day.AddHours(agent.ShiftStartHour);
            yield return (index, new DateTimeOffset(local, zone.GetUtcOffset(local)));
        }
    }

    void Work(SimulatedAgent agent, int index)
    {
        double ticketsPerHour = agent.Persona is Persona.TeamLead or Persona.Escalation ? 6 + rng.Next(4) : 3 + (rng.NextDouble() * 3);
        int days = (int)Math.Ceiling(Hours / 24) + 1;
        int hireDay = 2 + rng.Next(Math.Max(1, days / 2)); // the new hire's first day
        int tripleDay = 1 + rng.Next(Math.Max(1, days - 1));
        // A quitter's last shift: the last that starts a day into the run and leaves the site three hours after it.
        DateTimeOffset? lastShift = agent.Persona == Persona.Quitter
            ? Shifts(agent).Select(x => x.ShiftStart).LastOrDefault(x => x >= start.AddDays(1) && x.AddHours(ShiftHours + 3) <= end)
            : null;
        foreach (var (day, shiftStart) in Shifts(agent))
        {
            if (agent.Persona == Persona.NewHire && day < hireDay)
            {
                continue;
            }

            double rate = agent.Persona == Persona.TripleDay && day == tripleDay ? ticketsPerHour * 3 : ticketsPerHour;
            DateTimeOffset shiftEnd = shiftStart.AddHours(ShiftHours);
            // Overtime: team leads often stay, agents sometimes do.
            double overtime = rng.NextDouble() < (agent.Persona == Persona.TeamLead ? 0.3 : 0.1) ? 15 + rng.Next(30) : 0;
            DateTimeOffset t = shiftStart.AddMinutes(rng.Next(10));
            Emit(agent, index, t, AccessActions.Login, Client());
            t = t.AddMinutes(1 + rng.Next(4));
            while (t < shiftEnd.AddMinutes(overtime))
            {
                t = agent.Persona switch
                {
                    Persona.TeamLead => Escalation(agent, index, t, recordFirst: false),
                    Persona.Escalation => Escalation(agent, index, t, recordFirst: true),
                    _ => Ticket(agent, index, t),
                };
                t = t.AddMinutes(Math.Max(0.3, (60 / rate) - 8 + (rng.NextDouble() * 4)));
            }

            if (agent.Persona == Persona.TeamLead)
            {
                Emit(agent, index, shiftEnd.AddMinutes(-20 - rng.Next(20)), AccessActions.Export, Client(), count: 100 + rng.Next(400));
            }

            if (shiftStart == lastShift)
            {
                Dump(agent, index, t);
            }

            Emit(agent, index, t, AccessActions.Logout, Client());
            if (agent.Persona == Persona.Insider && day >= 2)
            {
                Harvest(agent, index, shiftStart, shiftEnd);
            }
        }
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
        if (t >= start)
        {
            closedTickets.Add((ticket, client, customer, closed)); // reviewable: its assignment is in the telemetry
        }

        if (rng.NextDouble() < 0.05)
        {
            Emit(agent, index, closed.AddMinutes(5 + rng.Next(35)), AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r0");
        }

        return closed;
    }

    /// <summary>
    /// An escalation: broad access, many views, all for the ticket's customer. At the escalation desk the call
    /// comes first: the record is open a minute or so before the ticket reaches the agent.
    /// </summary>
    DateTimeOffset Escalation(SimulatedAgent agent, int index, DateTimeOffset t, bool recordFirst)
    {
        string client = Client();
        string customer = Customer(client);
        string ticket = $"E{index}-{sequence}";
        DateTimeOffset at = t;
        if (recordFirst)
        {
            Emit(agent, index, at, AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r0");
            at = at.AddSeconds(40 + rng.Next(80));
        }

        Emit(agent, index, at, AccessActions.TicketAssigned, client, customer: customer, ticket: ticket);
        int views = 3 + rng.Next(4);
        for (int v = 0; v < views; v++)
        {
            at = at.AddSeconds(15 + rng.Next(60));
            Emit(agent, index, at, AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r{rng.Next(20)}");
        }

        DateTimeOffset closed = at.AddMinutes(1 + rng.Next(3));
        Emit(agent, index, closed, AccessActions.TicketClosed, client, customer: customer, ticket: ticket);
        if (t >= start)
        {
            closedTickets.Add((ticket, client, customer, closed)); // reviewable: its assignment is in the telemetry
        }

        return closed;
    }

    /// <summary>A QA lead's day: about 80 closed tickets of others reviewed, each view carrying the ticket id.</summary>
    void Review(SimulatedAgent agent, int index)
    {
        foreach (var (_, shiftStart) in Shifts(agent))
        {
            DateTimeOffset shiftEnd = shiftStart.AddHours(ShiftHours);
            Emit(agent, index, shiftStart.AddMinutes(rng.Next(10)), AccessActions.Login, Client());
            int reviews = 70 + rng.Next(21);
            for (int r = 0; r < reviews; r++)
            {
                DateTimeOffset t = shiftStart.AddMinutes(15 + ((ShiftHours * 60 - 30) * (r + rng.NextDouble()) / reviews));
                // A ticket closed in the last week, before this moment.
                int upper = UpperBound(t);
                int lower = UpperBound(t.AddDays(-7));
                if (upper <= lower)
                {
                    continue;
                }

                var (ticket, client, customer, _) = closedTickets[lower + rng.Next(upper - lower)];
                for (int v = 0, views = 1 + rng.Next(3); v < views; v++)
                {
                    Emit(agent, index, t.AddSeconds(v * (20 + rng.Next(40))), AccessActions.ViewRecord, client, customer: customer, ticket: ticket, record: $"{customer}/r{rng.Next(20)}");
                }
            }

            Emit(agent, index, shiftEnd.AddMinutes(rng.Next(10)), AccessActions.Logout, Client());
        }
    }

    /// <summary>Index of the first closed ticket at or after <paramref name="t"/>.</summary>
    int UpperBound(DateTimeOffset t)
    {
        int lo = 0, hi = closedTickets.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (closedTickets[mid].ClosedAt < t)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    /// <summary>The slow harvest: <see cref="SimulatedAgent.Rate"/> customers with no ticket, at random moments of the shift.</summary>
    void Harvest(SimulatedAgent agent, int index, DateTimeOffset shiftStart, DateTimeOffset shiftEnd)
    {
        double span = (shiftEnd - shiftStart).TotalMinutes - 30;
        foreach (double minute in Enumerable.Range(0, agent.Rate).Select(_ => 15 + (rng.NextDouble() * span)).Order())
        {
            DateTimeOffset t = shiftStart.AddMinutes(minute);
            string client = Client();
            string customer = Customer(client);
            Emit(agent, index, t, AccessActions.Search, client);
            if (Emit(agent, index, t.AddSeconds(5), AccessActions.ViewRecord, client, customer: customer, record: $"{customer}/r0"))
            {
                (harvests.TryGetValue(agent.UserPrincipalName, out var list) ? list : harvests[agent.UserPrincipalName] = []).Add(t.AddSeconds(5));
            }
        }
    }

    /// <summary>
    /// The last-day dump: <see cref="DumpSize"/> customers with no ticket in the ten minutes before <paramref name="logout"/>,
    /// and nothing of the agent after it. Drawn from a generator of its own, so the rest of the floor is the same.
    /// </summary>
    void Dump(SimulatedAgent agent, int index, DateTimeOffset logout)
    {
        var own = new Random(unchecked((seed * 10_007) + index)); // not HashCode: it differs per process
        List<DateTimeOffset> harvest = harvests.TryGetValue(agent.UserPrincipalName, out var list) ? list : harvests[agent.UserPrincipalName] = [];
        for (int i = 0; i < DumpSize; i++)
        {
            DateTimeOffset t = logout.AddMinutes(-11 + (10.0 * i / DumpSize));
            string client = site.ClientIds[own.Next(site.ClientIds.Count)];
            string customer = $"{client}-d{own.Next(10_000_000):D7}";
            if (t >= start && t < end)
            {
                // Ids of its own too: the sequence (and so every other event's id) is the same with quitters or without.
                events.Add(new AccessEvent("1.0", $"s{seed}-{index}-dump{i}", t.ToUniversalTime(), new AgentRef(agent.UserPrincipalName, vendorId, site.Id),
                    client, AccessActions.ViewRecord, $"{customer}/r0", customer, null, 1));
                harvest.Add(t);
            }
        }

        quits[agent.UserPrincipalName] = logout;
    }

    string Client() => site.ClientIds[rng.Next(site.ClientIds.Count)];

    string Customer(string client) => $"{client}-c{rng.Next(10_000_000):D7}";

    /// <summary>Adds the event when it falls inside the simulated time; true when it did.</summary>
    bool Emit(SimulatedAgent agent, int index, DateTimeOffset at, string action, string client,
        string? customer = null, string? ticket = null, string? record = null, int count = 1)
    {
        sequence++;
        if (at < start || at >= end || (quits.TryGetValue(agent.UserPrincipalName, out DateTimeOffset quit) && at > quit))
        {
            return false;
        }

        events.Add(new AccessEvent("1.0", $"s{seed}-{index}-{sequence}", at.ToUniversalTime(), new AgentRef(agent.UserPrincipalName, vendorId, site.Id),
            client, action, record, customer, ticket, count));
        return true;
    }
}
