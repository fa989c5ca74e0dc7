using Cordon.Intake;
using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Cordon.Alerts;
using Cordon.Policy;

namespace Cordon.Behaviour;

/// <summary>
/// The one way access telemetry enters Cordon (HTTP or Service Bus): events are grouped by agent,
/// each agent's state is updated with optimistic concurrency (dedupe by eventId, score, explain),
/// and a score crossing the policy threshold becomes a RiskAlert through <see cref="AlertIntake"/>,
/// the same intake external alerts take, so dedupe and merge into an open incident apply.
/// The world gives each agent its role and its site's time zone; the site's tickets are indexed so a
/// review (a view carrying someone else's ticket id) can be checked against the ticket's customer.
/// </summary>
public sealed class TelemetryIntake(BehaviourStateStore store, AlertIntake alerts, IOptions<ResponsePolicyOptions> policy, IOptions<WorldOptions> world, ILogger<TelemetryIntake> logger,
    TimeProvider time)
{
    public const string AgentKind = "agent";
    public const string PeersKind = "peers";
    public const string TicketsKind = "tickets";
    public const string TicketClocksKind = "ticketclocks";
    public const string WaitingKind = "waiting";

    /// <summary>A site's ticket clocks read this long ago are read again (older ones only judge views later, never wrongly).</summary>
    static readonly TimeSpan TicketClocksFresh = TimeSpan.FromSeconds(5);

    /// <summary>Each site's ticket clocks as this process last read or wrote them, and when.</summary>
    readonly ConcurrentDictionary<string, (SiteTicketClocks Clocks, long ReadAt)> ticketClocks = new(StringComparer.Ordinal);

    /// <summary>How far back a review may reach for the ticket it cites.</summary>
    public const int ReviewLookbackDays = 30;

    /// <summary>Ticket documents are split by the first hex digit of the ticket's fingerprint: 16 per site and day.</summary>
    const int TicketShards = 16;

    /// <summary>Ticket documents of days before yesterday no longer change: read once per process.</summary>
    readonly ConcurrentDictionary<string, SiteTickets> closedTicketDays = new(StringComparer.Ordinal);

    public async Task<(int Accepted, int Duplicates)> SubmitAsync(DurableTaskClient client, IReadOnlyList<AccessEvent> events, CancellationToken cancellationToken)
    {
        TelemetryResult result = await SubmitWithAlertsAsync(client, events, cancellationToken);
        return (result.Accepted, result.Duplicates);
    }

    public async Task<TelemetryResult> SubmitWithAlertsAsync(DurableTaskClient client, IReadOnlyList<AccessEvent> events, CancellationToken cancellationToken)
    {
        MonitoringPolicy monitoring = policy.Value.Policy.Monitoring;
        WorldModel w = world.Value.World;
        var peers = new ConcurrentDictionary<string, Lazy<Task<PeerGroup>>>(StringComparer.Ordinal);
        var learned = new ConcurrentDictionary<string, ConcurrentDictionary<string, ScoreOutcome>>(StringComparer.Ordinal);
        var raised = new ConcurrentBag<RaisedAlert>();
        int accepted = 0, duplicates = 0;

        (IReadOnlyDictionary<string, string> siteTickets, IReadOnlyDictionary<string, DateTimeOffset> ticketsAssigned) = await IndexTicketsAsync(events, cancellationToken);
        Dictionary<string, BatchTicketClocks> clocks = await TicketClocksAsync(events, cancellationToken);

        // Canonical names (Unicode normalization) once per spelling in the batch, not once per event.
        var canonical = new Dictionary<string, string>(StringComparer.Ordinal);
        string AgentKey(AccessEvent e) =>
            canonical.TryGetValue(e.Agent.UserPrincipalName, out string? known) ? known : canonical[e.Agent.UserPrincipalName] = SubjectIdentity.Canonical(e.Agent.UserPrincipalName);
        // Each agent's events as a list in batch order (scoring walks it in event-time order without copying it when it already is).
        var byAgent = new Dictionary<string, List<AccessEvent>>(StringComparer.Ordinal);
        foreach (AccessEvent e in events)
        {
            string key = AgentKey(e);
            (byAgent.TryGetValue(key, out List<AccessEvent>? list) ? list : byAgent[key] = []).Add(e);
        }

        // A store that waits on I/O takes up to 8 agents at once. In memory an agent's batch is microseconds of CPU: one lane per
        // core, each scoring its share of the agents in turn (a task per agent cost more in thread hand-offs than the scoring).
        int lanes = store.Persists ? 8 : Math.Max(1, Environment.ProcessorCount);
        IEnumerable<KeyValuePair<string, List<AccessEvent>>[]> work = store.Persists ? byAgent.Select(a => new[] { a }) : byAgent.Chunk(Math.Max(1, (byAgent.Count + lanes - 1) / lanes));
        // Each scored agent's views still waiting for their tickets (each client's earliest; null: none), per site.
        var waits = new ConcurrentDictionary<string, ConcurrentDictionary<string, WaitingAgent?>>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = lanes, CancellationToken = cancellationToken }, async (share, ct) =>
        {
            foreach (var (agent, batch) in share)
            {
                await ScoreAgentAsync(agent, batch[^1].Agent.SiteId.Trim(), batch[^1].Agent.UserPrincipalName, batch, null, ct);
            }
        });

        Dictionary<string, SiteWaitingAgents> waitingRead = await SettleQuietAgentsAsync(cancellationToken);

        // Agents of the batch's sites with views waiting and no events of their own in it, whose wait the site's clock (and
        // its clients' ticket clocks, this batch's tickets applied) has ended: judged now, not at their next shift.
        async Task<Dictionary<string, SiteWaitingAgents>> SettleQuietAgentsAsync(CancellationToken ct)
        {
            var read = new Dictionary<string, SiteWaitingAgents>(StringComparer.Ordinal);
            foreach (var (site, b) in clocks)
            {
                SiteWaitingAgents doc = await store.GetAsync<SiteWaitingAgents>(WaitingKind, site, ct) ?? new SiteWaitingAgents();
                read[site] = doc;
                DateTimeOffset siteNow = b.Clocks.SiteAt ?? b.Latest;
                // One context per spelling of the site (the world is searched once, not per waiting agent and client). An
                // entry with no client (written by an earlier version) is settled once and written again.
                var contexts = new Dictionary<string, AgentContext>(StringComparer.Ordinal);
                AgentContext ContextOf(string spelling) =>
                    contexts.TryGetValue(spelling, out AgentContext? known) ? known : contexts[spelling] = Context(spelling, AgentRoles.Agent, b, siteNow);
                var due = doc.Agents.Where(a => !byAgent.ContainsKey(a.Key) && (a.Value.Clients.Count == 0
                    || a.Value.Clients.Any(c => RiskScorer.WaitIsOver(c.At, c.ClientId, siteNow, monitoring, ContextOf(a.Value.SiteId))))).ToList();
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = lanes, CancellationToken = ct },
                    async (a, ct2) => await ScoreAgentAsync(a.Key, a.Value.SiteId, a.Key, [], siteNow, ct2));
            }

            return read;
        }

        AgentContext Context(string siteId, string role, BatchTicketClocks? site, DateTimeOffset? siteAt)
        {
            var found = w.FindSite(siteId);
            return new AgentContext(role, found is null ? TimeZoneInfo.Utc : Zone(found.Value.Site), siteTickets)
            {
                TicketsAssignedAt = ticketsAssigned,
                TicketClocks = site?.Clocks.Clients ?? new Dictionary<string, TicketClock>(),
                SiteAt = siteAt,
                SiteClients = found?.Site.ClientIds ?? [],
            };
        }

        // quietAt: the agent has no events in the batch, only views whose wait the site's clock at that time has ended.
        async Task ScoreAgentAsync(string agent, string siteId, string userPrincipalName, List<AccessEvent> batch, DateTimeOffset? quietAt, CancellationToken ct)
        {
            string role = Role(w, agent, userPrincipalName);
            BatchTicketClocks? site = clocks.GetValueOrDefault(SiteKey(siteId));
            AgentContext context = Context(siteId, role, site, quietAt ?? site?.SiteAtBefore);
            // The peer group is the site and the role: a QA lead is compared with QA leads, not with agents.
            string group = $"{SiteKey(siteId)}|{role}";
            PeerGroup peerGroup = await peers.GetOrAdd(group, g => new Lazy<Task<PeerGroup>>(() => LoadPeersAsync(g, ct))).Value;
            (ScoreOutcome outcome, RiskAlert[] undelivered, WaitingAgent? wait) = await store.UpdateAsync<AgentState, (ScoreOutcome, RiskAlert[], WaitingAgent?)>(AgentKind, agent, async current =>
            {
                // Nothing waits for an agent never scored; and a site settles only its own agents (found by an attack: an agent
                // who moved on was settled by the site she left, with its clients, and contained on her new site's calls).
                if (quietAt is not null && (current is null || SiteKey(current.SiteId) != SiteKey(siteId)))
                {
                    return (null, (new ScoreOutcome(0, 0, null, null), [], null));
                }

                AgentState state = current ?? new AgentState();
                int provisionalBefore = state.Provisional.Count;
                // Views citing a ticket the index did not know yet: looked up again, so a review of another agent's ticket
                // indexed a batch later is judged on it (found by an attack: an escalation desk's reviews became mismatches).
                // No old fingerprint to try: a ticket indexed before tickets were kept per client was found at the view.
                // So are those of reviews judged while the feed was silent (weak), until the index knows them or they are forgotten.
                var pending = state.Provisional.Where(v => v.CitedTicket is { } t && !siteTickets.ContainsKey(t)).Select(v => (v.At, Ticket: v.CitedTicket!))
                    // The latest judged ones only: a reviewer citing tickets that never come must not cost a read of the index per
                    // such view and batch (an index that learns more comes past them batch by batch, as views are taken back).
                    .Concat(state.Judged.Where(j => j.CitedTicket is { } t && !siteTickets.ContainsKey(t)).TakeLast(MaxJudgedLookups).Select(j => (j.At, Ticket: j.CitedTicket!)))
                    .Select(v => (siteId, v.At.UtcDateTime.Date, v.Ticket, (string?)null)).Distinct().ToList();
                AgentContext scoring = context;
                if (pending.Count > 0)
                {
                    var known = new Dictionary<string, string>(siteTickets, StringComparer.Ordinal);
                    var assigned = new Dictionary<string, DateTimeOffset>(ticketsAssigned, StringComparer.Ordinal);
                    await ResolveAsync(pending, known, assigned, batch.Count > 0 ? batch.Max(e => e.OccurredAt.UtcDateTime.Date) : quietAt!.Value.UtcDateTime.Date, ct);
                    scoring = context with { SiteTickets = known, TicketsAssignedAt = assigned };
                }

                ScoreOutcome o = quietAt is { } siteNow ? RiskScorer.SettleQuiet(state, siteNow, peerGroup, monitoring, scoring)
                    : RiskScorer.Apply(state, batch, peerGroup, monitoring, scoring);
                if (o.Alert is { } alert)
                {
                    // Kept with the state it came from, and handed to intake once that is stored: an alert whose
                    // intake fails is handed over again with the agent's next batch (or this one's redelivery).
                    state.RememberUndelivered(alert);
                }

                bool changed = o.Accepted > 0 || state.Provisional.Count != provisionalBefore || o.Alert is not null;
                // Each client's earliest waiting view: one view of a client whose tickets never come must not hide the others
                // (found by an attack: a quitter's dump behind one such view was never judged).
                WaitingAgent? waiting = state.Provisional.Count == 0 ? null : WaitingAgent.Of(siteId,
                    state.Provisional.GroupBy(v => v.ClientId ?? v.CitedClient).Select(g => new ClientWait(g.Key, g.Min(v => v.At))));
                return (changed ? state : null, (o, [.. state.Undelivered], waiting));
            }, ct);
            waits.GetOrAdd(SiteKey(siteId), _ => new(StringComparer.Ordinal))[agent] = wait;

            if (undelivered.Length > 0)
            {
                await DeliverAsync(client, agent, undelivered, ct);
            }

            Interlocked.Add(ref accepted, outcome.Accepted);
            Interlocked.Add(ref duplicates, outcome.Duplicates);
            if (outcome.Alert is { } a)
            {
                raised.Add(new RaisedAlert(a.AlertId, a.Subject.UserPrincipalName, a.DetectedAt, a.Severity, a.RiskScore, a.AffectedRecords));
            }

            if (outcome.Accepted > 0 || (quietAt is not null && outcome.Exposure7 > 0))
            {
                learned.GetOrAdd(group, _ => new(StringComparer.Ordinal))[agent] = outcome;
            }
        }

        // One peer-group write per group and batch, and only when something it holds changed.
        foreach (var (group, agents) in learned)
        {
            PeerGroup before = await peers[group].Value;
            if (!agents.Any(a => Changes(before, a.Key, a.Value)))
            {
                continue;
            }

            await store.UpdateAsync<PeerGroup, bool>(PeersKind, group, current =>
            {
                // A changed copy: the batches scoring right now read the peer group as it was.
                PeerGroup g = current?.Copy() ?? new PeerGroup();
                foreach (var (agent, o) in agents)
                {
                    if (o.TypicalViews is { } views)
                    {
                        g.TypicalViews[agent] = views;
                    }

                    g.Exposure7[agent] = o.Exposure7;
                    if (o.UsualHours is { } hours)
                    {
                        g.UsualHours[agent] = hours;
                    }
                }

                return Task.FromResult<(PeerGroup?, bool)>((g, true));
            }, cancellationToken);
        }

        await StoreWaitingAsync(waits, waitingRead, cancellationToken);
        await StoreTicketClocksAsync(clocks, cancellationToken);
        return new TelemetryResult(accepted, duplicates, [.. raised.OrderBy(r => r.DetectedAt)]);
    }

    /// <summary>Each agent's role in the world (a search of every site's agents), found once per agent and world.</summary>
    readonly ConditionalWeakTable<WorldModel, ConcurrentDictionary<string, string>> roles = new();

    string Role(WorldModel w, string canonicalAgent, string userPrincipalName) =>
        roles.GetValue(w, _ => new(StringComparer.Ordinal)).GetOrAdd(canonicalAgent, _ => w.FindAgent(userPrincipalName)?.Role ?? AgentRoles.Agent);

    /// <summary>Site time zones by IANA id, looked up once per process (the runtime's lookup takes a lock each time).</summary>
    readonly ConcurrentDictionary<string, TimeZoneInfo> zones = new(StringComparer.Ordinal);

    TimeZoneInfo Zone(Site site) => site.TimeZone is { } id ? zones.GetOrAdd(id, _ => site.Zone) : TimeZoneInfo.Utc;

    /// <summary>Hands the agent's alerts to intake (the same id twice is a duplicate there), then forgets the ones it took.</summary>
    async Task DeliverAsync(DurableTaskClient client, string agent, RiskAlert[] undelivered, CancellationToken cancellationToken)
    {
        foreach (RiskAlert alert in undelivered)
        {
            IntakeResult result = await alerts.SubmitAsync(client, alert, cancellationToken);
            logger.LogInformation("Monitor alert {AlertId} for {Agent} ({Severity}, score {Score}): {Outcome} {IncidentId}", alert.AlertId, agent, alert.Severity, alert.RiskScore, result.Outcome, result.IncidentId);
        }

        await store.UpdateAsync<AgentState, bool>(AgentKind, agent, current =>
        {
            int forgotten = current?.Undelivered.RemoveAll(a => undelivered.Any(d => d.AlertId == a.AlertId)) ?? 0;
            return Task.FromResult<(AgentState?, bool)>((forgotten > 0 ? current : null, true));
        }, cancellationToken);
    }

    static bool Changes(PeerGroup g, string agent, ScoreOutcome o) =>
        o.TypicalViews is not null ||
        g.Exposure7.GetValueOrDefault(agent) != o.Exposure7 || !g.Exposure7.ContainsKey(agent) ||
        (o.UsualHours is { } h && g.UsualHours.GetValueOrDefault(agent, -1) != h);

    async Task<PeerGroup> LoadPeersAsync(string group, CancellationToken cancellationToken) =>
        await store.GetAsync<PeerGroup>(PeersKind, group, cancellationToken) ?? new PeerGroup();

    /// <summary>How many of an agent's judged views citing tickets nobody knew are looked up again per batch, latest first.</summary>
    const int MaxJudgedLookups = 32;

    /// <summary>
    /// Records the batch's assigned tickets in the site's ticket index (one document per site, UTC day and shard), each
    /// with its latest assignment's customer and time, and returns what the batch's reviews need: ticket fingerprint → customer
    /// fingerprint and → assignment time, for every ticket a view names, found in this batch or in the last
    /// <see cref="ReviewLookbackDays"/> days.
    /// </summary>
    async Task<(IReadOnlyDictionary<string, string> Customers, IReadOnlyDictionary<string, DateTimeOffset> Assigned)> IndexTicketsAsync(
        IReadOnlyList<AccessEvent> events, CancellationToken cancellationToken)
    {
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        var assigned = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var writes = new Dictionary<string, Dictionary<string, (string Customer, DateTimeOffset At)>>(StringComparer.Ordinal);
        foreach (AccessEvent e in events)
        {
            if (e.Action == AccessActions.TicketAssigned && e.TicketId is { } t && e.CustomerId is { } c)
            {
                string ticket = RiskScorer.TicketFingerprint(e.ClientId, t);
                string customer = RiskScorer.RecurringFingerprint(c);
                // A ticket moved to another customer: the latest assignment by time, its customer with its time (found by an
                // attack: the latest customer paired with the first time said a ticket was the customer's before it was).
                if (assigned.TryGetValue(ticket, out DateTimeOffset seen) && seen > e.OccurredAt)
                {
                    continue;
                }

                known[ticket] = customer;
                assigned[ticket] = e.OccurredAt;
                string key = TicketKey(e.Agent.SiteId, e.OccurredAt.UtcDateTime.Date, ticket);
                (writes.TryGetValue(key, out var tickets) ? tickets : writes[key] = new(StringComparer.Ordinal))[ticket] = (customer, e.OccurredAt);
            }
        }

        foreach (var (key, tickets) in writes)
        {
            await store.UpdateAsync<SiteTickets, bool>(TicketsKind, key, current =>
            {
                // A redelivered batch adds nothing: nothing to write.
                if (current is not null && tickets.All(t => current.Tickets.ContainsKey(t.Key) && current.Assigned.TryGetValue(t.Key, out DateTimeOffset at) && at >= t.Value.At))
                {
                    return Task.FromResult<(SiteTickets?, bool)>((null, true));
                }

                // A changed copy: other batches may be reading this shard right now.
                var doc = new SiteTickets
                {
                    Tickets = current is null ? new(StringComparer.Ordinal) : new(current.Tickets, StringComparer.Ordinal),
                    Assigned = current is null ? new(StringComparer.Ordinal) : new(current.Assigned, StringComparer.Ordinal),
                };
                foreach (var (ticket, (customer, at)) in tickets)
                {
                    // A later assignment of the ticket stored already (a batch redelivered after a newer one) stays.
                    if (!doc.Assigned.TryGetValue(ticket, out DateTimeOffset stored) || stored <= at)
                    {
                        doc.Tickets[ticket] = customer;
                        doc.Assigned[ticket] = at;
                    }
                }

                return Task.FromResult<(SiteTickets?, bool)>((doc, true));
            }, cancellationToken);
        }

        var reviews = events.Where(e => e.Action == AccessActions.ViewRecord && e.TicketId is not null)
            .Select(e => (e.Agent.SiteId, Day: e.OccurredAt.UtcDateTime.Date, Ticket: RiskScorer.TicketFingerprint(e.ClientId, e.TicketId!), Legacy: (string?)RiskScorer.RecurringFingerprint(e.TicketId!)))
            .Where(r => !known.ContainsKey(r.Ticket))
            .Distinct()
            .ToList();
        if (reviews.Count == 0)
        {
            return (known, assigned);
        }

        await ResolveAsync(reviews, known, assigned, events.Max(e => e.OccurredAt.UtcDateTime.Date), cancellationToken);
        return (known, assigned);
    }

    /// <summary>
    /// Finds each ticket in the site's index (its day and <see cref="ReviewLookbackDays"/> before), into <paramref name="known"/>
    /// and, where the index kept it, when it was assigned to that customer into <paramref name="assigned"/>.
    /// </summary>
    async Task ResolveAsync(IReadOnlyList<(string Site, DateTime Day, string Ticket, string? Legacy)> reviews, Dictionary<string, string> known,
        Dictionary<string, DateTimeOffset> assigned, DateTime newest, CancellationToken cancellationToken)
    {
        var read = new Dictionary<string, SiteTickets>(StringComparer.Ordinal);
        // Tickets indexed before they were kept per client are found under their old fingerprint (for the lookback's days).
        foreach (var (site, day, ticket, legacy) in reviews)
        {
            foreach (string indexed in legacy is null ? [ticket] : new[] { ticket, legacy })
            {
                for (int back = 0; back <= ReviewLookbackDays && !known.ContainsKey(ticket); back++)
                {
                    DateTime d = day.AddDays(-back);
                    string key = TicketKey(site, d, indexed);
                    if (!read.TryGetValue(key, out var tickets))
                    {
                        bool closed = d < newest.AddDays(-1);
                        tickets = closed && closedTicketDays.TryGetValue(key, out var cached) ? cached
                            : await store.GetAsync<SiteTickets>(TicketsKind, key, cancellationToken) ?? new SiteTickets();
                        if (closed)
                        {
                            if (closedTicketDays.Count > 50_000)
                            {
                                closedTicketDays.Clear(); // bounded memory: re-read on demand
                            }

                            closedTicketDays.TryAdd(key, tickets);
                        }

                        read[key] = tickets;
                    }

                    if (tickets.Tickets.TryGetValue(indexed, out string? customer))
                    {
                        known[ticket] = customer;
                        if (tickets.Assigned.TryGetValue(indexed, out DateTimeOffset at))
                        {
                            assigned[ticket] = at;
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// How far each client's ticket assignments at each of the batch's sites have come (to the minute below), and the
    /// site's clock when they last moved: a view is judged only once its client's tickets are past its grace, so a ticket
    /// feed that trails the access events does not make every view of its lag "without business need". A client's clock
    /// moves only with its own assignments (another client's, or a closing logged by the support tool, says nothing of
    /// them), to the latest one. The clocks are what is stored plus this batch's own assignments, which this batch scores
    /// itself; they are stored once it has (<see cref="StoreTicketClocksAsync"/>), so a batch taken at the same time never
    /// sees a clock moved by tickets not yet applied to their agents. A site's stored clocks are read again when this
    /// process's copy is older than a few seconds (an older copy only judges views later).
    /// </summary>
    async Task<Dictionary<string, BatchTicketClocks>> TicketClocksAsync(IReadOnlyList<AccessEvent> events, CancellationToken cancellationToken)
    {
        var batch = new Dictionary<string, BatchTicketClocks>(StringComparer.Ordinal);
        // Found by the site id as sent: each spelling's key is made once, not once per event.
        var bySpelling = new Dictionary<string, BatchTicketClocks>(StringComparer.Ordinal);
        foreach (AccessEvent e in events)
        {
            if (!bySpelling.TryGetValue(e.Agent.SiteId, out BatchTicketClocks? b))
            {
                string site = SiteKey(e.Agent.SiteId);
                b = bySpelling[e.Agent.SiteId] = batch.TryGetValue(site, out var known) ? known : batch[site] = new BatchTicketClocks();
            }

            DateTimeOffset minute = Minute(e.OccurredAt);
            b.Latest = minute > b.Latest ? minute : b.Latest;
            if (e.Action == AccessActions.TicketAssigned && (!b.Assigned.TryGetValue(e.ClientId, out DateTimeOffset was) || minute > was))
            {
                b.Assigned[e.ClientId] = minute;
            }
        }

        if (ticketClocks.Count > MaxCachedSites)
        {
            ticketClocks.Clear(); // a bound, not a policy: forgotten sites are read again
        }

        foreach (var (site, b) in batch)
        {
            if (!ticketClocks.TryGetValue(site, out var copy) || time.GetElapsedTime(copy.ReadAt) > TicketClocksFresh)
            {
                copy = (await store.GetAsync<SiteTicketClocks>(TicketClocksKind, site, cancellationToken) ?? new SiteTicketClocks(), time.GetTimestamp());
                ticketClocks[site] = copy;
            }

            b.SiteAtBefore = copy.Clocks.SiteAt;
            b.Clocks = copy.Clocks.Copy();
            b.Clocks.Move(b.Latest, b.Assigned);
            b.Moves = copy.Clocks.MovedBy(b.Latest, b.Assigned);
        }

        return batch;
    }

    /// <summary>Stores the clocks the batch moved, once its agents have been scored (with its tickets applied).</summary>
    async Task StoreTicketClocksAsync(Dictionary<string, BatchTicketClocks> batch, CancellationToken cancellationToken)
    {
        foreach (var (site, b) in batch.Where(s => s.Value.Moves))
        {
            SiteTicketClocks stored = await store.UpdateAsync<SiteTicketClocks, SiteTicketClocks>(TicketClocksKind, site, current =>
            {
                if (current is not null && !current.MovedBy(b.Latest, b.Assigned))
                {
                    return Task.FromResult<(SiteTicketClocks?, SiteTicketClocks)>((null, current)); // a redelivery, or another process was ahead
                }

                // A changed copy: other batches may be reading these clocks right now.
                SiteTicketClocks next = current?.Copy() ?? new SiteTicketClocks();
                next.Move(b.Latest, b.Assigned);
                return Task.FromResult<(SiteTicketClocks?, SiteTicketClocks)>((next, next));
            }, cancellationToken);
            ticketClocks[site] = (stored, time.GetTimestamp());
        }
    }

    /// <summary>Records which of the batch's agents still have views waiting (and since when), one write per site and only on a change.</summary>
    async Task StoreWaitingAsync(ConcurrentDictionary<string, ConcurrentDictionary<string, WaitingAgent?>> waits, Dictionary<string, SiteWaitingAgents> before, CancellationToken cancellationToken)
    {
        foreach (var (site, agents) in waits)
        {
            SiteWaitingAgents read = before.GetValueOrDefault(site) ?? new SiteWaitingAgents();
            if (agents.All(a => Equals(read.Agents.GetValueOrDefault(a.Key), a.Value)))
            {
                continue;
            }

            await store.UpdateAsync<SiteWaitingAgents, bool>(WaitingKind, site, current =>
            {
                // A changed copy: other batches may be reading it right now.
                var next = new SiteWaitingAgents { Agents = current is null ? new(StringComparer.Ordinal) : new(current.Agents, StringComparer.Ordinal) };
                foreach (var (agent, wait) in agents)
                {
                    if (wait is null)
                    {
                        next.Agents.Remove(agent);
                    }
                    else
                    {
                        next.Agents[agent] = wait;
                    }
                }

                next.Trim();
                return Task.FromResult<(SiteWaitingAgents?, bool)>((next, true));
            }, cancellationToken);
        }
    }

    static DateTimeOffset Minute(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);

    /// <summary>Sites whose clocks this process keeps a copy of at most.</summary>
    const int MaxCachedSites = 10_000;

    /// <summary>One site's ticket clocks as one batch sees them.</summary>
    sealed class BatchTicketClocks
    {
        /// <summary>The batch's latest event at the site, to the minute.</summary>
        public DateTimeOffset Latest { get; set; } = DateTimeOffset.MinValue;

        /// <summary>Each client's latest ticket assignment in the batch, to the minute.</summary>
        public Dictionary<string, DateTimeOffset> Assigned { get; } = new(StringComparer.Ordinal);

        /// <summary>The site's clock before this batch (silence is measured against it).</summary>
        public DateTimeOffset? SiteAtBefore { get; set; }

        /// <summary>The stored clocks moved by this batch (what it scores with).</summary>
        public SiteTicketClocks Clocks { get; set; } = new();

        /// <summary>Whether the batch moves a stored clock (and so writes them once scored).</summary>
        public bool Moves { get; set; }
    }

    static string SiteKey(string siteId) => siteId.Trim().ToLowerInvariant();

    static string TicketKey(string site, DateTime utcDay, string ticketFingerprint) =>
        $"{SiteKey(site)}|{utcDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}|{int.Parse(ticketFingerprint[..1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) % TicketShards:x}";
}

/// <summary>A site's tickets assigned on one UTC day (one shard): each ticket's customer and when it was assigned to them.</summary>
public sealed class SiteTickets
{
    /// <summary>Ticket fingerprint → customer fingerprint.</summary>
    public Dictionary<string, string> Tickets { get; set; } = [];

    /// <summary>Ticket fingerprint → the time of its assignment to that customer, the day's latest (missing for tickets indexed before it was kept).</summary>
    public Dictionary<string, DateTimeOffset> Assigned { get; set; } = [];
}

/// <summary>
/// One site's clocks: its latest event seen (<see cref="SiteAt"/>, the access log's clock) and, per client, how far its
/// ticket assignments have come and the site's clock when they last moved (<see cref="TicketClock"/>). Minutes: a clock
/// moves at most once a minute, so a busy site writes this document about once a minute, not once a batch.
/// </summary>
public sealed class SiteTicketClocks
{
    /// <summary>Clients kept per site at most; past it the one whose tickets stopped longest ago is forgotten (its views wait out the lag).</summary>
    const int ClientLimit = 256;

    public DateTimeOffset? SiteAt { get; set; }

    public Dictionary<string, TicketClock> Clients { get; set; } = [];

    /// <summary>Whether a batch whose latest event at the site is <paramref name="latest"/>, with these clients' latest assignments, moves a clock.</summary>
    public bool MovedBy(DateTimeOffset latest, IReadOnlyDictionary<string, DateTimeOffset> assigned) =>
        SiteAt is not { } site || latest > site || assigned.Any(a => !Clients.TryGetValue(a.Key, out TicketClock? clock) || a.Value > clock.Through);

    public void Move(DateTimeOffset latest, IReadOnlyDictionary<string, DateTimeOffset> assigned)
    {
        DateTimeOffset site = SiteAt is { } was && was > latest ? was : latest;
        SiteAt = site;
        foreach (var (client, at) in assigned)
        {
            if (!Clients.TryGetValue(client, out TicketClock? clock) || at > clock.Through)
            {
                Clients[client] = new TicketClock(at, site);
            }
        }

        while (Clients.Count > ClientLimit)
        {
            Clients.Remove(Clients.MinBy(c => c.Value.MovedAt).Key);
        }
    }

    public SiteTicketClocks Copy() => new() { SiteAt = SiteAt, Clients = new(Clients, StringComparer.Ordinal) };
}

/// <summary>
/// A site's agents with views waiting for their tickets: each client's earliest such view of each agent, so a batch of
/// the site whose clocks end the wait judges them although the agent has logged off.
/// </summary>
public sealed class SiteWaitingAgents
{
    /// <summary>Agents kept per site at most; past it stale waits go first, then the latest (judged at the agent's next event).</summary>
    public const int AgentLimit = 1000;

    /// <summary>A wait a day older than the site's newest is one whose tickets are not coming: forgotten first.</summary>
    static readonly TimeSpan Stale = TimeSpan.FromDays(1);

    public Dictionary<string, WaitingAgent> Agents { get; set; } = [];

    public void Trim()
    {
        if (Agents.Count <= AgentLimit)
        {
            return;
        }

        DateTimeOffset newest = Agents.Values.Where(a => a.Clients.Count > 0).Select(a => a.Earliest).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        foreach (string agent in Agents.Where(a => a.Value.Clients.Count == 0 || newest - a.Value.Earliest > Stale).Select(a => a.Key).ToList())
        {
            Agents.Remove(agent);
        }

        foreach (string agent in Agents.OrderByDescending(a => a.Value.Earliest).Take(Math.Max(0, Agents.Count - AgentLimit)).Select(a => a.Key).ToList())
        {
            Agents.Remove(agent);
        }
    }
}

/// <summary>An agent with views waiting for their tickets: at which site (as the agent's events spell it), and each client's earliest.</summary>
public sealed record WaitingAgent(string SiteId)
{
    /// <summary>Clients kept per agent at most, earliest first.</summary>
    public const int ClientLimit = 16;

    public List<ClientWait> Clients { get; init; } = [];

    /// <summary>
    /// Each client's earliest wait, earliest first; past <see cref="ClientLimit"/> the rest become one wait of no client (due
    /// at its grace; the settle judges only what is due): views of many clients whose tickets never come cannot push the
    /// dump's client out (found by an attack).
    /// </summary>
    public static WaitingAgent Of(string siteId, IEnumerable<ClientWait> waits)
    {
        List<ClientWait> all = [.. waits.OrderBy(c => c.At)];
        return new WaitingAgent(siteId)
        {
            Clients = all.Count <= ClientLimit ? all : [.. all.Take(ClientLimit - 1), new ClientWait(null, all.Skip(ClientLimit - 1).Min(c => c.At))],
        };
    }

    [System.Text.Json.Serialization.JsonIgnore]
    public DateTimeOffset Earliest => Clients.Count == 0 ? DateTimeOffset.MaxValue : Clients[0].At;

    public bool Equals(WaitingAgent? other) => other is not null && SiteId == other.SiteId && Clients.SequenceEqual(other.Clients);

    public override int GetHashCode() => HashCode.Combine(SiteId, Clients.Count);
}

/// <summary>A client's earliest view (of one agent) waiting for its ticket.</summary>
public sealed record ClientWait(string? ClientId, DateTimeOffset At);

/// <summary>An alert the monitor raised while taking a batch: the producer sees what its telemetry caused.</summary>
public sealed record RaisedAlert(string AlertId, string Subject, DateTimeOffset DetectedAt, string Severity, double RiskScore, long AffectedRecords);

public sealed record TelemetryResult(int Accepted, int Duplicates, IReadOnlyList<RaisedAlert> Alerts);
