using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cordon.Alerts;
using Cordon.Policy;

namespace Cordon.Behaviour;

/// <summary>The reasons the monitor can give; each becomes an indicator of the alert it raises.</summary>
public static class RiskReasons
{
    public const string NoBusinessNeed = "no-business-need";
    public const string OwnVolume = "volume-vs-own-baseline";
    public const string PeerVolume = "volume-vs-peer-group";
    public const string Export = "export";
    public const string ScreenCapture = "screen-capture";
    public const string OffShift = "off-shift";
    public const string Burst = "burst-across-customers";
    public const string TicketMismatch = "ticket-mismatch";

    /// <summary>Not a decaying reason: the long memory's verdict, added to the alert when it holds.</summary>
    public const string Cumulative = "cumulative-no-business-need";

    /// <summary>The RiskAlert indicator kind each reason is reported as.</summary>
    public static string IndicatorKind(string reason) => reason switch
    {
        Export => "data-exfiltration",
        ScreenCapture => "screen-capture",
        OffShift => "off-hours-access",
        _ => "mass-record-access",
    };
}

/// <summary>
/// What scoring a batch of one agent's events did, and what the agent's peer group should learn from it: its
/// typical views per active hour (when an hour rolled), its 7-day exposure and its working hours (once learned).
/// </summary>
public sealed record ScoreOutcome(int Accepted, int Duplicates, RiskAlert? Alert, double? TypicalViews, int Exposure7 = 0, int? UsualHours = null);

/// <summary>
/// What the world and the site know about the agent being scored: its role, the site's time zone, the
/// site's tickets named by the batch's reviews (ticket fingerprint → customer fingerprint), and how far each
/// client's ticket events at the site have come (<see cref="TicketClocks"/>).
/// </summary>
public sealed record AgentContext(string Role, TimeZoneInfo Zone, IReadOnlyDictionary<string, string> SiteTickets)
{
    public static readonly AgentContext Default = new(AgentRoles.Agent, TimeZoneInfo.Utc, new Dictionary<string, string>());

    /// <summary>
    /// Client id → how far its ticket events at the site have come. A client missing has shown no ticket feed yet: its
    /// views wait out <see cref="MonitoringPolicy.TicketFeedLagMinutes"/>. Null: the caller keeps no ticket clocks, and
    /// views are judged on the agent's own clock at their grace.
    /// </summary>
    public IReadOnlyDictionary<string, TicketClock>? TicketClocks { get; init; }

    /// <summary>
    /// Ticket fingerprint → when the site's index saw it assigned to its customer, for the tickets of <see cref="SiteTickets"/> indexed
    /// with it: a review is of a ticket only if it was assigned by then. A ticket missing here was indexed without it.
    /// </summary>
    public IReadOnlyDictionary<string, DateTimeOffset>? TicketsAssignedAt { get; init; }

    /// <summary>
    /// The site's clock before this batch (its latest event seen in earlier batches): a ticket feed whose clock has not
    /// moved for <see cref="MonitoringPolicy.TicketFeedLagMinutes"/> of it is silent. Measured between batches, not within
    /// one: an access log forwarded an hour at a time runs an hour ahead of every ticket feed inside its own batch.
    /// </summary>
    public DateTimeOffset? SiteAt { get; init; }

    /// <summary>
    /// The clients the world says the site serves (empty: not known). A view of another client's customer has no ticket
    /// to wait for at this site: it is judged at its grace, as strong evidence as ever.
    /// </summary>
    public IReadOnlyCollection<string> SiteClients { get; init; } = [];
}

/// <summary>
/// How far one client's ticket events at a site have come (<see cref="Through"/>), and the site's clock when they last
/// moved on (<see cref="MovedAt"/>): a feed that keeps moving is waited for however far behind it runs; one silent for
/// <see cref="MonitoringPolicy.TicketFeedLagMinutes"/> is not.
/// </summary>
public sealed record TicketClock(DateTimeOffset Through, DateTimeOffset MovedAt);

/// <summary>
/// Explainable scoring of one agent's access events. Every point has a named reason; the score
/// decays by the policy's half-life, measured on event time (the telemetry's clock, never the
/// wall clock), so replaying a day of telemetry in seconds scores exactly as living through it.
/// </summary>
public static class RiskScorer
{
    public const string Source = AlertSources.Monitor;

    /// <summary>Points below this no longer explain anything: the reason is forgotten.</summary>
    const double Negligible = 0.5;
    const int RecentViewLimit = 1000;
    /// <summary>Views waiting for their ticket at most (a ticket feed far behind); past it the oldest are judged.</summary>
    const int ProvisionalLimit = 500;
    const int TicketLimit = 500;
    /// <summary>How long a judged view can still be taken back by its late ticket (on the agent's clock).</summary>
    static readonly TimeSpan JudgedMemory = TimeSpan.FromDays(1);

    public static ScoreOutcome Apply(AgentState state, IEnumerable<AccessEvent> events, PeerGroup peers, MonitoringPolicy policy, AgentContext? context = null)
    {
        AgentContext ctx = context ?? AgentContext.Default;
        var site = new SiteView(peers, state.UserPrincipalName, policy);
        SeenIds seen = SeenIds.Of(state);
        var added = new List<(DateTimeOffset Hour, StringBuilder Ids)>();
        int accepted = 0, duplicates = 0;
        bool rolled = false;
        RiskAlert? alert = null;
        Span<char> hex = stackalloc char[AgentState.SeenIdChars];
        foreach (AccessEvent e in InTimeOrder(events))
        {
            ulong key = SeenIds.Key(e.EventId);
            if (!seen.Add(key, e.EventId))
            {
                duplicates++;
                continue;
            }

            accepted++;
            key.TryFormat(hex, out _, "x12", CultureInfo.InvariantCulture);
            IdsOfHour(added, Hour(e.OccurredAt)).Append(hex);
            if (state.UserPrincipalName.Length == 0)
            {
                state.UserPrincipalName = e.Agent.UserPrincipalName;
            }

            state.VendorId = e.Agent.VendorId;
            state.SiteId = e.Agent.SiteId;

            // A late event is scored at the clock's current time: the score never runs backwards.
            DateTimeOffset now = state.LastAt is { } last && e.OccurredAt < last ? last : e.OccurredAt;
            Decay(state, now, policy);
            if (Roll(state, Hour(e.OccurredAt), policy))
            {
                rolled = true;
                site.BaselineChanged();
            }

            Settle(state, now, e.OccurredAt, policy, ctx);
            Observe(state, e, peers, policy, ctx, site);
            alert = Evaluate(state, now, site, policy) ?? alert;
        }

        if (accepted > 0 && Reconsider(state, state.LastAt!.Value, policy, ctx))
        {
            alert = Evaluate(state, state.LastAt!.Value, site, policy) ?? alert;
        }

        if (alert is not null && state.StreamOpen)
        {
            // One alert per batch, explained by everything the batch showed, not just the event that crossed.
            alert = BuildAlert(state, state.LastAt!.Value, site, policy);
        }

        Remember(state, added, policy);
        ForgetJudged(state);

        double? typical = rolled && state.Baseline.Count >= policy.MinBaselineHours ? Median(state.Baseline.Select(b => (double)b.Views).ToList()) : null;
        return new ScoreOutcome(accepted, duplicates, alert, typical, state.Exposure7, accepted > 0 ? OwnHours(state, policy) : null);
    }

    /// <summary>
    /// Judges the views of an agent with no events in the batch whose wait is over by the site's clock
    /// (<paramref name="siteNow"/>: the site's events, and its clients' ticket clocks, have come that far). Found by an
    /// attack: views in an agent's last minutes before logging off — a bribed insider's last-day dump — waited for that
    /// agent's next event, the next shift or never. The agent's own clock does not move (no event of its own came); its
    /// tickets come in the site's ticket clocks' time order, so a clock past a view's grace carries any that could justify it.
    /// Only such views are judged here: a silent feed's wait still ends at the agent's next event.
    /// </summary>
    public static ScoreOutcome SettleQuiet(AgentState state, DateTimeOffset siteNow, PeerGroup peers, MonitoringPolicy policy, AgentContext ctx)
    {
        if (state.LastAt is not { } last || state.Provisional.Count == 0)
        {
            return new ScoreOutcome(0, 0, null, null, state.Exposure7);
        }

        DateTimeOffset now = siteNow > last ? siteNow : last;
        var site = new SiteView(peers, state.UserPrincipalName, policy);
        Settle(state, now, now, policy, ctx, clockOnly: true);
        Reconsider(state, now, policy, ctx);
        RiskAlert? alert = Evaluate(state, now, site, policy);
        return new ScoreOutcome(0, 0, alert, null, state.Exposure7);
    }

    /// <summary>Whether the client's tickets at the site have come past a view at <paramref name="viewAt"/> and its grace by <paramref name="siteNow"/>.</summary>
    public static bool WaitIsOver(DateTimeOffset viewAt, string? clientId, DateTimeOffset siteNow, MonitoringPolicy policy, AgentContext ctx)
    {
        TimeSpan grace = Grace(policy);
        return siteNow - viewAt > grace
            && TicketsPast(viewAt, clientId, siteNow, siteNow, grace, TimeSpan.FromMinutes(policy.TicketFeedLagMinutes), ctx) == Judged.ByClock;
    }

    /// <summary>The batch in event-time order: as sent when it already is (producers send in order), else sorted, ties kept as sent.</summary>
    static IReadOnlyList<AccessEvent> InTimeOrder(IEnumerable<AccessEvent> events)
    {
        IReadOnlyList<AccessEvent> list = events as IReadOnlyList<AccessEvent> ?? [.. events];
        for (int i = 1; i < list.Count; i++)
        {
            if (list[i].OccurredAt < list[i - 1].OccurredAt)
            {
                return [.. list.OrderBy(e => e.OccurredAt)];
            }
        }

        return list;
    }

    /// <summary>The batch's new ids of one hour of event time (hours in order; the batch's latest hour is found first).</summary>
    static StringBuilder IdsOfHour(List<(DateTimeOffset Hour, StringBuilder Ids)> added, DateTimeOffset hour)
    {
        int at = added.Count;
        while (at > 0 && added[at - 1].Hour >= hour)
        {
            at--;
        }

        if (at < added.Count && added[at].Hour == hour)
        {
            return added[at].Ids;
        }

        var ids = new StringBuilder();
        added.Insert(at, (hour, ids));
        return ids;
    }

    /// <summary>
    /// Keeps the ids seen within the dedupe window of event time (and at most <see cref="AgentState.SeenIdLimit"/>):
    /// a resent batch is recognised, and the state stays small however long the agent works. The live key set forgets
    /// exactly what the stored text drops.
    /// </summary>
    static void Remember(AgentState state, List<(DateTimeOffset Hour, StringBuilder Ids)> added, MonitoringPolicy policy)
    {
        SeenIds index = SeenIds.Of(state);
        foreach (var (hour, ids) in added)
        {
            int at = state.Seen.Count;
            while (at > 0 && state.Seen[at - 1].Hour >= hour)
            {
                at--;
            }

            if (at < state.Seen.Count && state.Seen[at].Hour == hour)
            {
                state.Seen[at].Ids += ids.ToString();
            }
            else
            {
                state.Seen.Insert(at, new SeenHour { Hour = hour, Ids = ids.ToString() });
            }
        }

        if (state.LastAt is { } clock)
        {
            DateTimeOffset cutoff = clock - policy.DedupeWindow;
            ForgetBefore(state.LegacySeen, cutoff, index, fromLegacy: true);
            ForgetBefore(state.Seen, cutoff, index, fromLegacy: false);
        }

        // Over the limit: the oldest go first (ids of earlier versions before any of this one's).
        int count = state.SeenCount;
        count = Trim(state.LegacySeen, count, index, fromLegacy: true);
        Trim(state.Seen, count, index, fromLegacy: false);
    }

    static void ForgetBefore(List<SeenHour> hours, DateTimeOffset cutoff, SeenIds index, bool fromLegacy)
    {
        int old = 0;
        while (old < hours.Count && hours[old].Hour < cutoff)
        {
            index.Forget(hours[old].Ids, fromLegacy);
            old++;
        }

        hours.RemoveRange(0, old);
    }

    static int Trim(List<SeenHour> hours, int count, SeenIds index, bool fromLegacy)
    {
        while (count > AgentState.SeenIdLimit && hours.Count > 0)
        {
            SeenHour oldest = hours[0];
            int excess = count - AgentState.SeenIdLimit;
            int ids = oldest.Ids.Length / AgentState.SeenIdChars;
            if (excess >= ids)
            {
                index.Forget(oldest.Ids, fromLegacy);
                hours.RemoveAt(0);
                count -= ids;
            }
            else
            {
                index.Forget(oldest.Ids.AsSpan(0, excess * AgentState.SeenIdChars), fromLegacy);
                oldest.Ids = oldest.Ids[(excess * AgentState.SeenIdChars)..];
                count -= excess;
            }
        }

        return count;
    }

    /// <summary>The alert id of an agent's n-th stream (and its m-th update): deterministic, so a retried batch re-sends the same alert and intake dedupes it.</summary>
    public static string AlertId(string userPrincipalName, int stream, int update)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(SubjectIdentity.Canonical(userPrincipalName))))[..12];
        string id = $"mon-{hash}-{stream.ToString(CultureInfo.InvariantCulture)}";
        return update == 0 ? id : $"{id}-u{update.ToString(CultureInfo.InvariantCulture)}";
    }

    /// <summary>
    /// State keeps 64-bit fingerprints, not the ids: bounded size whatever the producer's id lengths,
    /// and no customer identifiers at rest in the monitor's store (only equality is ever needed).
    /// </summary>
    public static string Fingerprint(string value)
    {
        // Hashed on the stack (ids are short): one string allocated per fingerprint, nothing else.
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> bytes = max <= 512 ? stackalloc byte[512] : new byte[max];
        int length = Encoding.UTF8.GetBytes(value, bytes);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(bytes[..length], hash);
        return Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>Customers and tickets recur (a ticket's views, its assignment and closing): their fingerprints are remembered, within a bound.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> KnownFingerprints = new(StringComparer.Ordinal);

    static int knownCount;

    /// <summary>
    /// A ticket is one client's: two clients' tools number their tickets independently, and keyed by number alone one
    /// client's ticket 1001 replaced another's in the agent's state, so the agent's follow-ups on the first client's
    /// customers cited "a ticket that belongs to another customer" (found by an attack: an innocent agent contained).
    /// </summary>
    public static string TicketFingerprint(string clientId, string ticketId) =>
        RecurringFingerprint(clientId.Length.ToString(CultureInfo.InvariantCulture) + ":" + clientId + "/" + ticketId);

    /// <summary><see cref="Fingerprint"/> of a customer or ticket id, computed once per process while the cache holds it.</summary>
    public static string RecurringFingerprint(string value)
    {
        if (KnownFingerprints.TryGetValue(value, out string? known))
        {
            return known;
        }

        // Counted on the side: ConcurrentDictionary.Count takes every lock of the table, on every new customer.
        if (Volatile.Read(ref knownCount) >= 100_000)
        {
            KnownFingerprints.Clear();
            Volatile.Write(ref knownCount, 0);
        }

        string f = Fingerprint(value);
        if (KnownFingerprints.TryAdd(value, f))
        {
            Interlocked.Increment(ref knownCount);
        }

        return f;
    }

    static DateTimeOffset Hour(DateTimeOffset t)
    {
        DateTime u = t.UtcDateTime;
        return new DateTimeOffset(u.Year, u.Month, u.Day, u.Hour, 0, 0, TimeSpan.Zero);
    }

    static void Decay(AgentState s, DateTimeOffset now, MonitoringPolicy policy)
    {
        if (s.LastAt is { } last && now > last)
        {
            double factor = Math.Pow(0.5, (now - last) / policy.DecayHalfLife);
            s.Score *= factor;
            List<string>? forgotten = null;
            foreach (var (name, tally) in s.Reasons)
            {
                tally.Points *= factor;
                if (tally.Points < Negligible)
                {
                    (forgotten ??= []).Add(name);
                }
            }

            foreach (string name in forgotten ?? [])
            {
                ForgetReason(s, name);
            }
        }

        s.LastAt = now;
    }

    /// <summary>A reason whose points are negligible is forgotten, and with it what only it explained.</summary>
    static void ForgetReason(AgentState s, string name)
    {
        s.Reasons.Remove(name);
        if (name == RiskReasons.NoBusinessNeed)
        {
            s.UnjustifiedCustomers.Clear();
            s.WeakJudgedAt = null;
            s.WeakForgotten = false;
            // The episode is over: its judged views may still be taken back from their days, not from it.
            for (int i = 0; i < s.Judged.Count; i++)
            {
                s.Judged[i] = s.Judged[i] with { Counted = false, Weak = false };
            }
        }
        else if (name == RiskReasons.Burst)
        {
            s.BurstCustomers.Clear();
        }
    }

    /// <summary>Closes the current hour into the baseline when a later hour starts; true when it did.</summary>
    static bool Roll(AgentState s, DateTimeOffset hour, MonitoringPolicy policy)
    {
        if (s.Current is null)
        {
            s.Current = new HourBucket { Hour = hour };
            return false;
        }

        if (hour <= s.Current.Hour)
        {
            return false;
        }

        if (s.Current.Views + s.Current.Searches + s.Current.Exports > 0)
        {
            s.Baseline.Add(s.Current);
        }

        s.Baseline.RemoveAll(b => b.Hour < hour - policy.BaselineWindow);
        s.Current = new HourBucket { Hour = hour };
        return true;
    }

    static void Observe(AgentState s, AccessEvent e, PeerGroup peers, MonitoringPolicy policy, AgentContext ctx, SiteView site)
    {
        string? customer = e.CustomerId is null ? null : RecurringFingerprint(e.CustomerId);
        s.RememberClient(e.ClientId);
        // An event from an hour already closed still has a business need or not, but is no evidence about this hour's volume.
        HourBucket hour = e.OccurredAt >= s.Current!.Hour ? s.Current : new HourBucket { Hour = Hour(e.OccurredAt) };
        switch (e.Action)
        {
            case AccessActions.TicketAssigned:
                string assigned = customer!;
                string assignedKey = TicketFingerprint(e.ClientId, e.TicketId!);
                // An assignment that comes after the ticket's closing (closings logged inline, assignments from a trailing
                // feed) does not reopen it: found by an attack, every short call's customer was justified for ever after.
                Ticket? known = s.Tickets.GetValueOrDefault(assignedKey);
                DateTimeOffset? closedAt = known is { ClosedAt: { } c } && known.CustomerId == assigned && c >= e.OccurredAt ? c : null;
                s.Tickets[assignedKey] = new Ticket(assigned, closedAt) { AssignedAt = e.OccurredAt };
                // The call opened the record first: views of this customer within the grace period were work, after all.
                s.Provisional.RemoveAll(v => v.CustomerId == assigned && v.At >= e.OccurredAt - Grace(policy));
                TakeBack(s, assigned, e.OccurredAt + Grace(policy), policy, ctx);
                break;
            case AccessActions.TicketClosed:
                string ticketKey = TicketFingerprint(e.ClientId, e.TicketId!);
                // The assignment is kept: it says from when the ticket justified views (a late ticket takes them back).
                Ticket? open = s.Tickets.GetValueOrDefault(ticketKey);
                s.Tickets[ticketKey] = new Ticket(customer!, e.OccurredAt) { AssignedAt = open is not null && open.CustomerId == customer ? open.AssignedAt : null };
                TakeBack(s, customer!, e.OccurredAt + policy.TicketGrace, policy, ctx);
                break;
            case AccessActions.Search:
                hour.Searches += e.Count;
                Active(s, e, ctx, policy, 0);
                OffShift(s, e, policy, ctx, site);
                OwnVolume(s, hour, "searches", hour.Searches, b => b.Searches, e.OccurredAt, policy, site);
                break;
            case AccessActions.ViewRecord:
                hour.Views += e.Count;
                Active(s, e, ctx, policy, e.Count);
                OffShift(s, e, policy, ctx, site);
                BusinessNeed(s, e, customer!, policy, ctx);
                Burst(s, e, customer!, policy);
                OwnVolume(s, hour, "record views", hour.Views, b => b.Views, e.OccurredAt, policy, site);
                PeerVolume(s, hour, site, e.OccurredAt, policy);
                break;
            case AccessActions.Export:
                hour.Exports++;
                Active(s, e, ctx, policy, 0);
                OffShift(s, e, policy, ctx, site);
                Add(s, RiskReasons.Export, policy.Weights.Export, 1, e.OccurredAt,
                    c => $"{c} export{(c == 1 ? "" : "s")} from the support tool (last: {e.Count} records of client {e.ClientId})");
                break;
            case AccessActions.ScreenCapture:
                Active(s, e, ctx, policy, 0);
                OffShift(s, e, policy, ctx, site);
                Add(s, RiskReasons.ScreenCapture, policy.Weights.ScreenCapture, 1, e.OccurredAt,
                    c => $"{c} screen capture{(c == 1 ? "" : "s")} of customer data");
                break;
        }

        ForgetOldTickets(s, e.OccurredAt, policy);
    }

    static TimeSpan Grace(MonitoringPolicy policy) => TimeSpan.FromMinutes(policy.TicketGraceMinutes);

    /// <summary>
    /// The customer the site's index knows ticket <paramref name="cited"/> as, if it was assigned by the time of a view at
    /// <paramref name="at"/> (within the grace: the ticket system's clock and the support tool's differ). A ticket of that
    /// number opened later is not the one the view cited (found by an attack: a QA lead's review was taken back by a
    /// ticket opened six hours after it). A ticket indexed without its assignment time counts as assigned in time.
    /// </summary>
    static string? IndexedOwner(AgentContext ctx, string cited, DateTimeOffset at, MonitoringPolicy policy) =>
        ctx.SiteTickets.GetValueOrDefault(cited) is { } owner
        && (ctx.TicketsAssignedAt is null || !ctx.TicketsAssignedAt.TryGetValue(cited, out DateTimeOffset assigned) || assigned <= at + Grace(policy))
            ? owner : null;

    /// <summary>
    /// Business need: an open ticket of the agent for the customer (or one closed within the follow-up grace);
    /// a review (a view carrying a ticket id of the site's ticket for that customer) by a role allowed to review;
    /// else the view is provisional until a ticket arrives within the grace period.
    /// </summary>
    static void BusinessNeed(AgentState s, AccessEvent e, string customer, MonitoringPolicy policy, AgentContext ctx)
    {
        foreach (Ticket t in s.Tickets.Values)
        {
            if (t.CustomerId == customer && (t.ClosedAt is null || e.OccurredAt - t.ClosedAt.Value <= policy.TicketGrace))
            {
                return;
            }
        }

        if (e.TicketId is { } ticketId)
        {
            string ticket = TicketFingerprint(e.ClientId, ticketId);
            // A ticket recorded before tickets were kept per client is found under its old fingerprint (until forgotten).
            string? owner = s.Tickets.TryGetValue(ticket, out Ticket? own) || s.Tickets.TryGetValue(RecurringFingerprint(ticketId), out own) ? own.CustomerId
                : ctx.SiteTickets.GetValueOrDefault(ticket);
            if (owner is null)
            {
                // Not known yet: the call may have opened the record before the ticket's event reached Cordon (another
                // feed, the next batch). Judged like a view without a ticket: justified if a ticket for the customer
                // arrives within the grace, else without business need and a mismatch (found by an attack: an agent whose
                // views named their tickets a batch early was contained on the mismatches and one routine export).
                Wait(s, new RecentView(customer, e.OccurredAt) { ClientId = e.ClientId, CitedClient = e.ClientId, CitedTicket = ticket });
                return;
            }

            if (owner != customer)
            {
                (bool day, bool episode) = Mismatch(s, customer, e.OccurredAt, "belongs to another customer", e.ClientId, policy, ctx);
                // Recorded like a judged view, never taken back: a late ticket covering another view of the customer must
                // not take the customer out while this one holds it there (found by an attack).
                s.Judged.Add(new JudgedView(customer, e.OccurredAt, s.LastAt ?? e.OccurredAt) { ClientId = e.ClientId, Mismatch = true, Counted = episode, DayCounted = day });
                return;
            }

            if (policy.ReviewerRoles.Contains(ctx.Role, StringComparer.Ordinal))
            {
                return; // a QA, team-lead or escalation review of a real ticket of that customer
            }
        }

        Wait(s, new RecentView(customer, e.OccurredAt) { ClientId = e.ClientId });
    }

    /// <summary>The view waits for its ticket, unless a view of the same customer already does (the first one is judged).</summary>
    static void Wait(AgentState s, RecentView view)
    {
        foreach (RecentView v in s.Provisional)
        {
            if (v.CustomerId == view.CustomerId)
            {
                return;
            }
        }

        s.Provisional.Add(view);
    }

    /// <summary>
    /// Views whose grace period has passed with no ticket for their customer are now without business need, once the
    /// agent's clock (<paramref name="now"/>) is past the grace and so are the client's ticket events — up to the event
    /// being scored (<paramref name="at"/>; the agent's own tickets come in time order, so any that could still justify
    /// the view have been taken). A ticket feed never seen, or silent for <see cref="MonitoringPolicy.TicketFeedLagMinutes"/>,
    /// is waited for that long and no longer. Found by an attack: an agent whose tickets came 30 min after the views was
    /// counted as harvesting and contained. Past <see cref="ProvisionalLimit"/> views waiting, the oldest are judged.
    /// </summary>
    static void Settle(AgentState s, DateTimeOffset now, DateTimeOffset at, MonitoringPolicy policy, AgentContext ctx, bool clockOnly = false)
    {
        if (s.Provisional.Count == 0)
        {
            return;
        }

        TimeSpan grace = Grace(policy);
        TimeSpan lag = TimeSpan.FromMinutes(policy.TicketFeedLagMinutes);

        // Runs for every event: nothing is allocated unless a view is due.
        int overflow = s.Provisional.Count - ProvisionalLimit;
        List<(RecentView View, bool Weak)>? due = null;
        for (int i = 0; i < s.Provisional.Count; i++)
        {
            RecentView v = s.Provisional[i];
            // Differences, not sums: a stored time near the calendar's end cannot overflow them.
            Judged judged = i < overflow ? Judged.ByClock : now - v.At <= grace ? Judged.NotYet : TicketsPast(v.At, v.ClientId ?? v.CitedClient, now, at, grace, lag, ctx);
            // Without an event of the agent's own, only tickets that came past a view judge it: a silent feed's wait is
            // ended by the agent's next event (judged by the wait, views of those who logged off flagged innocents on a
            // night of a feed four hours behind).
            if (judged == Judged.NotYet || (clockOnly && judged == Judged.ByTimeout))
            {
                continue;
            }

            (due ??= []).Add((v, judged == Judged.ByTimeout));
        }

        foreach (var (v, weak) in due ?? [])
        {
            s.Provisional.Remove(v);
            // The cited ticket, if the site's index knows it by now (another agent's, indexed a batch after the view).
            string? owner = v.CitedTicket is { } cited ? IndexedOwner(ctx, cited, v.At, policy) : null;
            if (owner == v.CustomerId && policy.ReviewerRoles.Contains(ctx.Role, StringComparer.Ordinal))
            {
                continue; // a review of that customer's real ticket, whose event came after the view
            }

            if (weak)
            {
                s.WeakJudgedAt = now; // whatever the view turns out to be below, its evidence is weak
            }

            bool another = owner is not null && owner != v.CustomerId;
            bool unknown = owner is null && v.CitedClient is not null;
            (bool day, bool episode) = another ? Mismatch(s, v.CustomerId, v.At, "belongs to another customer", v.CitedClient!, policy, ctx)
                : unknown ? Mismatch(s, v.CustomerId, v.At, "does not exist", v.CitedClient!, policy, ctx)
                : Unjustified(s, v.CustomerId, v.At, policy, ctx);
            // Judged as of the agent's clock, where its points are added (a quiet settle judges after it, at the site's).
            s.Judged.Add(new JudgedView(v.CustomerId, v.At, s.LastAt ?? now)
            {
                ClientId = v.ClientId ?? v.CitedClient, Weak = weak, Mismatch = another, CitedUnknown = unknown, Counted = episode, DayCounted = day,
                // A reviewer's view of a ticket nobody knew yet keeps it, to look up: its assignment may come late (an outage's
                // backlog, a redelivered batch), and then the view was a review after all.
                CitedTicket = unknown && policy.ReviewerRoles.Contains(ctx.Role, StringComparer.Ordinal) ? v.CitedTicket : null,
            });
        }
    }

    /// <summary>
    /// Views judged while their client's ticket feed was silent, now that the feed has come past them without their ticket,
    /// are evidence like any other; when none is left weak (and none was forgotten weak), the episode no longer asks first.
    /// </summary>
    static bool ConfirmWeak(AgentState s, DateTimeOffset now, DateTimeOffset at, TimeSpan grace, TimeSpan lag, AgentContext ctx)
    {
        bool weakLeft = false, confirmed = false;
        for (int i = 0; i < s.Judged.Count; i++)
        {
            JudgedView j = s.Judged[i];
            if (!j.Weak)
            {
                continue;
            }

            if (TicketsPast(j.At, j.ClientId, now, at, grace, lag, ctx) == Judged.ByClock)
            {
                // The feed came past it without its ticket. Its cited ticket is still looked up: one assigned before the view
                // that comes late takes it back, one of that number opened later does not (IndexedOwner).
                s.Judged[i] = j with { Weak = false };
                confirmed = true;
            }
            else
            {
                weakLeft = true;
            }
        }

        if (!weakLeft && !s.WeakForgotten)
        {
            s.WeakJudgedAt = null;
            return true;
        }

        return confirmed;
    }

    /// <summary>
    /// Once a batch is in, its judged views again: a ticket that came late (a batch redelivered after a later one, an
    /// outage's backlog) takes back every judged view it covers as it would have in time — while it is open, too: a queued
    /// ticket assigned twenty minutes before the record was opened (found by an attack: taken back only near its
    /// assignment, the backlog left an innocent agent's calls counted, and contained her). A view is taken back only once
    /// both the agent's events and its client's tickets have come past it, so a closing that would end the cover has come
    /// too. Then the weak views the client's clock has passed are confirmed. True when anything changed.
    /// </summary>
    static bool Reconsider(AgentState s, DateTimeOffset at, MonitoringPolicy policy, AgentContext ctx)
    {
        if (s.LastAt is not { } clock)
        {
            return false;
        }

        if (s.Judged.Count == 0)
        {
            // Nothing judged is left weak (taken back, or a review the index justified after all).
            bool cleared = s.WeakJudgedAt is not null && !s.WeakForgotten;
            s.WeakJudgedAt = cleared ? null : s.WeakJudgedAt;
            return cleared;
        }

        bool changed = false;
        HashSet<string>? ticketed = null;
        foreach (Ticket t in s.Tickets.Values)
        {
            (ticketed ??= new HashSet<string>(StringComparer.Ordinal)).Add(t.CustomerId);
        }

        bool reviewer = policy.ReviewerRoles.Contains(ctx.Role, StringComparer.Ordinal);
        for (int i = s.Judged.Count - 1; i >= 0; i--)
        {
            JudgedView j = s.Judged[i];
            // A review of a ticket the site's index now knows as that customer's, assigned by the time of the view: it was a
            // review after all (the ticket was another agent's, so none of the agent's own takes it back). A ticket indexed
            // without its assignment time (before the index kept them) takes back only a view judged while the feed was silent.
            bool reviewed = reviewer && j.CitedTicket is { } cited && IndexedOwner(ctx, cited, j.At, policy) == j.CustomerId
                && (j.Weak || ctx.TicketsAssignedAt?.ContainsKey(cited) == true);
            if (j.Mismatch || (!reviewed && ticketed?.Contains(j.CustomerId) != true))
            {
                continue;
            }

            DateTimeOffset through = j.ClientId is { } client && ctx.TicketClocks?.GetValueOrDefault(client) is { } tickets && tickets.Through < clock ? tickets.Through : clock;
            if (reviewed || (j.At <= through && Covered(s, j.CustomerId, j.At, policy)))
            {
                s.Judged.RemoveAt(i);
                Release(s, j, policy, ctx);
                changed = true;
            }
        }

        if (s.WeakJudgedAt is not null)
        {
            changed |= ConfirmWeak(s, clock, at, Grace(policy), TimeSpan.FromMinutes(policy.TicketFeedLagMinutes), ctx);
        }

        return changed;
    }

    /// <summary>
    /// A ticket of the customer that reaches the agent after its views were judged (a batch redelivered after a later one,
    /// an outage's backlog) takes back the judged views it covers — those it would have justified had it come in time: from
    /// the grace before its assignment, while open, and for the follow-up grace once closed — up to
    /// <paramref name="through"/> (what this ticket event shows; a later closing is not known yet). Found by an attack: a
    /// ticket batch retried after a later one left the views it justified counted against the agent for 30 days.
    /// </summary>
    static void TakeBack(AgentState s, string customer, DateTimeOffset through, MonitoringPolicy policy, AgentContext ctx)
    {
        for (int i = s.Judged.Count - 1; i >= 0; i--)
        {
            JudgedView j = s.Judged[i];
            if (j.CustomerId != customer || j.Mismatch || j.At > through || !Covered(s, customer, j.At, policy))
            {
                continue;
            }

            s.Judged.RemoveAt(i);
            Release(s, j, policy, ctx);
        }
    }

    /// <summary>Whether one of the agent's tickets for the customer justifies a view at <paramref name="at"/>.</summary>
    static bool Covered(AgentState s, string customer, DateTimeOffset at, MonitoringPolicy policy)
    {
        foreach (Ticket t in s.Tickets.Values)
        {
            if (t.CustomerId == customer && t.AssignedAt is { } assigned && at - assigned >= -Grace(policy)
                && (t.ClosedAt is null || at - t.ClosedAt.Value <= policy.TicketGrace))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Takes a judged view's customer out of the episode and its day, unless another judged view of the customer holds it there.</summary>
    static void Release(AgentState s, JudgedView j, MonitoringPolicy policy, AgentContext ctx)
    {
        string date = LocalDate(j.At, ctx);
        int sameCustomer = s.Judged.FindIndex(k => k.CustomerId == j.CustomerId);
        int sameDay = s.Judged.FindIndex(k => k.CustomerId == j.CustomerId && LocalDate(k.At, ctx) == date);
        if (j.Counted && sameCustomer >= 0)
        {
            s.Judged[sameCustomer] = s.Judged[sameCustomer] with { Counted = true };
        }
        else if (j.Counted && s.UnjustifiedCustomers.Remove(j.CustomerId))
        {
            Withdraw(s, RiskReasons.NoBusinessNeed, policy.Weights.NoBusinessNeed, j, policy);
            if (s.Reasons.TryGetValue(RiskReasons.NoBusinessNeed, out ReasonTally? tally))
            {
                tally.Detail = NoNeedDetail(s, policy);
            }
        }

        if (j.CitedUnknown)
        {
            // The ticket the view cited was not known when it was judged; a ticket of the customer covers it now.
            Withdraw(s, RiskReasons.TicketMismatch, policy.Weights.TicketMismatch, j, policy);

            if (s.Days.Find(d => d.Date == date) is { Mismatches: > 0 } mismatchDay)
            {
                mismatchDay.Mismatches--;
            }
        }

        if (j.DayCounted && sameDay >= 0)
        {
            s.Judged[sameDay] = s.Judged[sameDay] with { DayCounted = true };
        }
        else if (j.DayCounted && s.Days.Find(d => d.Date == date) is { } day)
        {
            // Beyond the day's list only the count was kept: the count alone goes down.
            if (day.Customers.Remove(j.CustomerId) || day.Unjustified > day.Customers.Count)
            {
                day.Unjustified--;
                Expose(s, ctx, policy);
            }
        }

        if (j.Weak && !s.Judged.Exists(k => k.Weak) && !s.WeakForgotten)
        {
            s.WeakJudgedAt = null; // the silent feed's backlog justified what it had counted
        }
    }

    /// <summary>A judged view's points, decayed since it was judged, leave the reason and the score.</summary>
    static void Withdraw(AgentState s, string reason, double weight, JudgedView j, MonitoringPolicy policy)
    {
        if (!s.Reasons.TryGetValue(reason, out ReasonTally? tally))
        {
            return;
        }

        // Not negative: a view judged by the site's clock while the agent was away is judged after the agent's own clock.
        TimeSpan since = s.LastAt is { } clock && clock > j.JudgedAt ? clock - j.JudgedAt : TimeSpan.Zero;
        double points = Math.Min(weight * Math.Pow(0.5, since / policy.DecayHalfLife), tally.Points);
        tally.Points -= points;
        tally.Count = Math.Max(0, tally.Count - 1);
        s.Score = Math.Max(0, s.Score - points);
        if (tally.Points < Negligible || tally.Count == 0)
        {
            ForgetReason(s, reason); // nothing left that it explains
        }
    }

    /// <summary>Judged views are kept for a day of the agent's clock and at most <see cref="AgentState.JudgedLimit"/>.</summary>
    static void ForgetJudged(AgentState s)
    {
        if (s.Judged.Count == 0 || s.LastAt is not { } clock)
        {
            return;
        }

        int old = 0;
        while (old < s.Judged.Count && (s.Judged.Count - old > AgentState.JudgedLimit || clock - s.Judged[old].JudgedAt > JudgedMemory))
        {
            s.WeakForgotten |= s.Judged[old].Weak;
            old++;
        }

        s.Judged.RemoveRange(0, old);
    }

    /// <summary>
    /// Whether a ticket that could justify the view (its grace past on the agent's clock) can still come: not yet; no, the
    /// client's tickets have come past it; or no longer waited for, the client's ticket feed silent or never seen
    /// (<see cref="Judged.ByTimeout"/>: weak evidence).
    /// </summary>
    static Judged TicketsPast(DateTimeOffset viewAt, string? viewClient, DateTimeOffset now, DateTimeOffset at, TimeSpan grace, TimeSpan lag, AgentContext ctx)
    {
        if (lag <= TimeSpan.Zero || ctx.TicketClocks is not { } clocks || viewClient is not { } client)
        {
            return Judged.ByClock; // on the agent's clock (no clocks kept, or a view stored before views kept their client)
        }

        if (!clocks.TryGetValue(client, out TicketClock? clock))
        {
            if (ctx.SiteClients.Count > 0 && !ctx.SiteClients.Contains(client, StringComparer.OrdinalIgnoreCase))
            {
                return Judged.ByClock; // a client the site does not serve: no ticket will come (an attack's way around the wait)
            }

            return now - viewAt > grace + lag ? Judged.ByTimeout : Judged.NotYet; // no ticket of the client seen at the site yet
        }

        if ((clock.Through < at ? clock.Through : at) - viewAt > grace)
        {
            return Judged.ByClock;
        }

        bool silent = ctx.SiteAt is { } site && site - clock.MovedAt > lag;
        return silent && now - viewAt > grace + lag ? Judged.ByTimeout : Judged.NotYet;
    }

    enum Judged { NotYet, ByClock, ByTimeout }

    static (bool Day, bool Episode) Mismatch(AgentState s, string customer, DateTimeOffset at, string why, string clientId, MonitoringPolicy policy, AgentContext ctx)
    {
        Day(s, at, ctx, policy).Mismatches++;
        Add(s, RiskReasons.TicketMismatch, policy.Weights.TicketMismatch, 1, at,
            c => $"{c} view{(c == 1 ? "" : "s")} citing a ticket that {why} (last: client {clientId})");
        return Unjustified(s, customer, at, policy, ctx);
    }

    /// <summary>Counts a customer without business need in its day and the episode; says which of the two it was new to.</summary>
    static (bool Day, bool Episode) Unjustified(AgentState s, string customer, DateTimeOffset at, MonitoringPolicy policy, AgentContext ctx)
    {
        DayRecord day = Day(s, at, ctx, policy);
        bool newToDay = !day.Customers.Contains(customer);
        if (newToDay)
        {
            day.Unjustified++;
            if (day.Customers.Count < DayRecord.CustomerLimit)
            {
                day.Customers.Add(customer);
            }

            Expose(s, ctx, policy);
        }

        bool newToEpisode = s.AddUnjustifiedCustomer(customer);
        if (newToEpisode)
        {
            Add(s, RiskReasons.NoBusinessNeed, policy.Weights.NoBusinessNeed, 1, at, _ => NoNeedDetail(s, policy));
        }

        return (newToDay, newToEpisode);
    }

    static string NoNeedDetail(AgentState s, MonitoringPolicy policy) =>
        $"viewed records of {s.UnjustifiedCustomers.Count} customer{(s.UnjustifiedCustomers.Count == 1 ? "" : "s")} with no ticket for them (none arrived within {policy.TicketGraceMinutes:0.#} min)";

    /// <summary>The agent's local day for <paramref name="at"/>, created (and days past the history dropped) as needed.</summary>
    static DayRecord Day(AgentState s, DateTimeOffset at, AgentContext ctx, MonitoringPolicy policy)
    {
        string date = LocalDate(at, ctx);
        for (int i = s.Days.Count - 1; i >= 0; i--)
        {
            int order = string.CompareOrdinal(s.Days[i].Date, date);
            if (order == 0)
            {
                return s.Days[i];
            }

            if (order < 0)
            {
                var inserted = new DayRecord { Date = date };
                s.Days.Insert(i + 1, inserted);
                Forget(s, ctx, policy);
                return inserted;
            }
        }

        var first = new DayRecord { Date = date };
        s.Days.Insert(0, first);
        Forget(s, ctx, policy);
        return first;
    }

    static void Forget(AgentState s, AgentContext ctx, MonitoringPolicy policy)
    {
        string cutoff = Today(s, ctx).AddDays(-policy.HistoryDays).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        s.Days.RemoveAll(d => string.CompareOrdinal(d.Date, cutoff) <= 0);
    }

    static string LocalDate(DateTimeOffset at, AgentContext ctx) => Local(at, ctx.Zone).DateText;

    static DateTime Today(AgentState s, AgentContext ctx) => Local(s.LastAt ?? DateTimeOffset.UnixEpoch, ctx.Zone).Date;

    static string TodayText(AgentState s, AgentContext ctx) => Local(s.LastAt ?? DateTimeOffset.UnixEpoch, ctx.Zone).DateText;

    /// <summary>The local date and hour of a quarter hour of UTC in one zone.</summary>
    sealed record LocalQuarter(TimeZoneInfo Zone, long Quarter, DateTime Date, string DateText, int Hour);

    const long TicksPerQuarter = TimeSpan.TicksPerMinute * 15;

    /// <summary>The last quarter hour converted on this thread: the events of a batch mostly share it.</summary>
    [ThreadStatic]
    static LocalQuarter? lastQuarter;

    /// <summary>
    /// The local date and hour of <paramref name="at"/>, converted once per quarter hour of UTC and zone: every zone's
    /// offset and every change of it fall on a quarter hour, so a quarter hour of UTC lies within one local hour and date.
    /// </summary>
    static LocalQuarter Local(DateTimeOffset at, TimeZoneInfo zone)
    {
        long quarter = at.UtcTicks / TicksPerQuarter;
        LocalQuarter? known = lastQuarter;
        if (known is not null && known.Quarter == quarter && ReferenceEquals(known.Zone, zone))
        {
            return known;
        }

        DateTimeOffset local = TimeZoneInfo.ConvertTime(new DateTimeOffset(quarter * TicksPerQuarter, TimeSpan.Zero), zone);
        known = new LocalQuarter(zone, quarter, local.Date, local.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), local.Hour);
        lastQuarter = known;
        return known;
    }

    /// <summary>Counts the day's views and marks its local hour active.</summary>
    static void Active(AgentState s, AccessEvent e, AgentContext ctx, MonitoringPolicy policy, int views)
    {
        DayRecord day = Day(s, e.OccurredAt, ctx, policy);
        day.Views += views;
        day.Hours |= 1 << Local(e.OccurredAt, ctx.Zone).Hour;
        string today = TodayText(s, ctx);
        if (s.ExposureDate != today)
        {
            // A new day: the windows move, and yesterday joins the learned working hours.
            Expose(s, ctx, policy);
            s.LearnedHoursDate = null;
        }
    }

    /// <summary>Distinct customers without business need over the last 7 and 30 local days.</summary>
    static void Expose(AgentState s, AgentContext ctx, MonitoringPolicy policy)
    {
        DateTime today = Today(s, ctx);
        s.ExposureDate = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        s.Exposure7 = Distinct(s, today.AddDays(-6));
        s.Exposure30 = Distinct(s, today.AddDays(-29));
    }

    static int Distinct(AgentState s, DateTime from)
    {
        string since = from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var customers = new HashSet<string>(StringComparer.Ordinal);
        int beyondLimit = 0;
        foreach (DayRecord d in s.Days)
        {
            if (string.CompareOrdinal(d.Date, since) >= 0)
            {
                customers.UnionWith(d.Customers);
                beyondLimit += d.Unjustified - d.Customers.Count;
            }
        }

        return customers.Count + beyondLimit;
    }

    /// <summary>
    /// The agent's own working hours, learned from its past days (not today): a local hour is usual when it or a
    /// neighbouring hour was active on a share of the active days. Null until the agent has enough history.
    /// </summary>
    static int? OwnHours(AgentState s, MonitoringPolicy policy)
    {
        string today = s.Days.Count > 0 ? s.Days[^1].Date : "";
        if (s.LearnedHoursDate == today)
        {
            return s.LearnedHours;
        }

        var past = s.Days.Where(d => d.Date != today && d.Hours != 0).ToList();
        int? mask = null;
        if (past.Count >= policy.MinHistoryDays)
        {
            int m = 0;
            for (int h = 0; h < 24; h++)
            {
                int near = (1 << h) | (1 << ((h + 1) % 24)) | (1 << ((h + 23) % 24));
                if (past.Count(d => (d.Hours & near) != 0) >= policy.UsualHourShare * past.Count)
                {
                    m |= 1 << h;
                }
            }

            mask = m;
        }

        s.LearnedHours = mask;
        s.LearnedHoursDate = today;
        return mask;
    }

    static void Burst(AgentState s, AccessEvent e, string customer, MonitoringPolicy policy)
    {
        s.RecentViews.Add(new RecentView(customer, e.OccurredAt));
        DateTimeOffset since = e.OccurredAt - policy.BurstWindow;
        foreach (RecentView v in s.RecentViews)
        {
            if (v.At < since)
            {
                s.RecentViews.RemoveAll(x => x.At < since);
                break;
            }
        }

        if (s.RecentViews.Count > RecentViewLimit)
        {
            s.RecentViews.RemoveRange(0, s.RecentViews.Count - RecentViewLimit);
        }

        // The distinct customers are counted only when a burst could be reported (fewer views than the bar: it cannot).
        if (s.RecentViews.Count < policy.BurstCustomers || (s.LastBurstAt is not null && e.OccurredAt - s.LastBurstAt.Value < policy.BurstWindow))
        {
            return;
        }

        int distinct = s.RecentViews.Select(v => v.CustomerId).Distinct(StringComparer.Ordinal).Count();
        if (distinct >= policy.BurstCustomers)
        {
            s.LastBurstAt = e.OccurredAt;
            foreach (RecentView v in s.RecentViews)
            {
                s.AddBurstCustomer(v.CustomerId);
            }

            Add(s, RiskReasons.Burst, policy.Weights.Burst, 1, e.OccurredAt,
                c => $"{distinct} distinct customers viewed within {Minutes(policy.BurstWindow)} ({c} burst{(c == 1 ? "" : "s")})");
        }
    }

    static void OffShift(AgentState s, AccessEvent e, MonitoringPolicy policy, AgentContext ctx, SiteView site)
    {
        if (policy.Weights.OffShift <= 0)
        {
            return;
        }

        int localHour = Local(e.OccurredAt, ctx.Zone).Hour;
        int? own = OwnHours(s, policy);
        bool usual = own is { } mine ? (mine & (1 << localHour)) != 0
            : site.Hours is { } siteHours ? (siteHours & (1 << localHour)) != 0
            : policy.ShiftHours.Contains(TimeZoneInfo.ConvertTime(e.OccurredAt, ctx.Zone).TimeOfDay);
        if (usual)
        {
            return;
        }

        DateTimeOffset local = TimeZoneInfo.ConvertTime(e.OccurredAt, ctx.Zone);
        string whose = own is null ? site.Hours is null ? "the site's default hours" : "the site's usual hours" : "the agent's own usual hours";

        // Points once per hour, every access counted: finishing a ticket after hours is not a night of harvesting.
        HourBucket hour = s.Current!;
        hour.OffShift++;
        bool first = !hour.Flagged.Contains(RiskReasons.OffShift);
        if (first)
        {
            hour.Flagged.Add(RiskReasons.OffShift);
        }

        Add(s, RiskReasons.OffShift, first ? policy.Weights.OffShift : 0, 1, e.OccurredAt,
            c => $"{c} data access{(c == 1 ? "" : "es")} outside {whose} (last at {local:HH\\:mm} local time, {ctx.Zone.Id})");
    }

    const string ViewsFlag = RiskReasons.OwnVolume + ":record views";
    const string SearchesFlag = RiskReasons.OwnVolume + ":searches";

    static string OwnVolumeFlag(string what) => what switch
    {
        "record views" => ViewsFlag,
        "searches" => SearchesFlag,
        _ => RiskReasons.OwnVolume + ":" + what,
    };

    static void OwnVolume(AgentState s, HourBucket hour, string what, int count, Func<HourBucket, int> metric, DateTimeOffset at, MonitoringPolicy policy, SiteView site)
    {
        if (count < policy.MinHourlyVolume || s.Baseline.Count < policy.MinBaselineHours)
        {
            return;
        }

        string flag = OwnVolumeFlag(what);
        (double median, double z) = site.OwnSpread(what, s.Baseline, metric).Z(count);
        string Detail(int c) => $"{count} {what} in the hour from {hour.Hour:HH\\:mm} UTC against a typical {median:0.#} for this agent (robust z {z:0.0}; {c} unusual hour{(c == 1 ? "" : "s")})";
        if (hour.Flagged.Contains(flag))
        {
            // Already counted this hour: only the explanation grows with the hour.
            Add(s, RiskReasons.OwnVolume, 0, 0, at, Detail);
        }
        else if (z >= policy.VolumeZ)
        {
            hour.Flagged.Add(flag);
            Add(s, RiskReasons.OwnVolume, policy.Weights.OwnVolume, 1, at, Detail);
        }
    }

    static void PeerVolume(AgentState s, HourBucket hour, SiteView site, DateTimeOffset at, MonitoringPolicy policy)
    {
        int views = hour.Views;
        if (views < policy.MinHourlyVolume)
        {
            return;
        }

        // The peers' typical views do not change within a batch: their median and spread are computed once.
        Spread peerViews = site.PeerViews(s.UserPrincipalName);
        if (peerViews.Count < policy.MinPeers)
        {
            return;
        }

        (double median, double z) = peerViews.Z(views);
        string Detail(int c) => $"{views} record views in the hour from {hour.Hour:HH\\:mm} UTC against a site peer median of {median:0.#} per hour over {peerViews.Count} agents (robust z {z:0.0}; {c} unusual hour{(c == 1 ? "" : "s")})";
        if (hour.Flagged.Contains(RiskReasons.PeerVolume))
        {
            Add(s, RiskReasons.PeerVolume, 0, 0, at, Detail);
        }
        else if (z >= policy.PeerZ)
        {
            hour.Flagged.Add(RiskReasons.PeerVolume);
            Add(s, RiskReasons.PeerVolume, policy.Weights.PeerVolume, 1, at, Detail);
        }
    }

    /// <summary>Median-and-MAD z-score: one wild hour in the baseline does not hide the next one.</summary>
    readonly record struct Spread(double Median, double Scale, int Count)
    {
        public static Spread Of(List<double> values)
        {
            double median = RiskScorer.Median(values);
            double mad = RiskScorer.Median(values.Select(v => Math.Abs(v - median)).ToList());
            // A floor on the spread: a very regular agent (MAD 0) is not flagged for one extra record.
            return new Spread(median, Math.Max(1.4826 * mad, Math.Max(1, 0.1 * median)), values.Count);
        }

        public (double Median, double Z) Z(double x) => (Median, (x - Median) / Scale);
    }

    static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        int mid = values.Count / 2;
        return values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
    }

    static void Add(AgentState s, string reason, double points, int count, DateTimeOffset at, Func<int, string> detail)
    {
        // A reason weighted 0 is switched off; 0 points on a live reason only update its count.
        if (points < 0 || (points == 0 && !s.Reasons.ContainsKey(reason)))
        {
            return;
        }

        if (!s.Reasons.TryGetValue(reason, out ReasonTally? tally))
        {
            tally = new ReasonTally();
            s.Reasons[reason] = tally;
        }

        tally.Points += points;
        tally.Count += count;
        tally.LastAt = at;
        tally.Detail = detail(tally.Count);
        s.Score += points;
    }

    enum Level { None, Moderate, Strong }

    /// <summary>
    /// What the evidence supports. Strong (contains on its own): the 30-day count of customers without business
    /// need at the policy's floor, or such customers corroborated by an export, a screen capture or a burst.
    /// Moderate (an incident at the confirmation gate): the long memory above its floor and above the peer group or
    /// the agent's own history, or the short-term score with customer evidence. Volume and off-shift alone: nothing.
    /// </summary>
    static (Level Level, string Why) Judge(AgentState s, SiteView site, MonitoringPolicy p)
    {
        (Level level, string why) = JudgeEvidence(s, site, p);
        // Customers counted because their client's ticket feed was silent (or never seen) for the whole wait, not because
        // its tickets came past them: an outage's backlog may still justify them, so the evidence asks first.
        return level == Level.Strong && s.WeakJudgedAt is not null
            ? (Level.Moderate, $"{why}, but some were judged while their client's ticket feed was silent; asks first")
            : (level, why);
    }

    static (Level Level, string Why) JudgeEvidence(AgentState s, SiteView site, MonitoringPolicy p)
    {
        int episode = s.UnjustifiedCustomers.Count;
        // A burst corroborates only when it is made of customers without business need (found by an attack: 12 ticketed
        // calls in ten minutes corroborated 5 unrelated lookups an hour before, and an innocent agent was contained).
        int unjustifiedInBursts = s.Reasons.ContainsKey(RiskReasons.Burst) ? s.BurstCustomers.Count(s.UnjustifiedCustomers.ToHashSet(StringComparer.Ordinal).Contains) : 0;
        string? corroboration = s.Reasons.ContainsKey(RiskReasons.Export) ? RiskReasons.Export
            : s.Reasons.ContainsKey(RiskReasons.ScreenCapture) ? RiskReasons.ScreenCapture
            : unjustifiedInBursts >= p.CorroborationMinCustomers ? $"a burst of {unjustifiedInBursts} of them" : null;
        if (s.Exposure30 >= p.ContainAtUnjustifiedCustomers)
        {
            return (Level.Strong, $"strong evidence: {s.Exposure30} customers without business need in 30 days (policy floor {p.ContainAtUnjustifiedCustomers})");
        }

        if (episode >= p.CorroborationMinCustomers && corroboration is not null)
        {
            return (Level.Strong, $"strong evidence: {episode} customers without business need corroborated by {corroboration}");
        }

        if (Cumulative(s, site, p) is { } cumulative)
        {
            return (Level.Moderate, cumulative);
        }

        if (s.Score >= p.AlertThreshold && (episode >= p.AlertMinCustomers || s.Reasons.ContainsKey(RiskReasons.ScreenCapture) || s.Reasons.ContainsKey(RiskReasons.TicketMismatch)))
        {
            return (Level.Moderate, $"score {Math.Min(100, s.Score):0} with {episode} customer{(episode == 1 ? "" : "s")} without business need");
        }

        return (Level.None, "");
    }

    /// <summary>The slow harvest: exposure over 7 or 30 days above its floor and unusual for the peer group or the agent's own history.</summary>
    static string? Cumulative(AgentState s, SiteView site, MonitoringPolicy p)
    {
        if (s.Exposure7 < p.HarvestAlertFloor && s.Exposure30 < p.SlowHarvestAlertFloor)
        {
            return null; // below both floors (every event of most agents): nothing to compute
        }

        foreach (var (days, exposure, floor) in new[] { (7, s.Exposure7, p.HarvestAlertFloor), (30, s.Exposure30, p.SlowHarvestAlertFloor) })
        {
            if (exposure < floor)
            {
                continue;
            }

            double scale = days / 7.0;
            string? peers = site.Exposure is { } e ? $"peer median {e.Median * scale:0.#} over {e.Count} agents" : null;
            bool abovePeers = site.Exposure is not { } pe || exposure > (pe.Median * scale) + (p.PeerZ * pe.Spread * Math.Sqrt(scale));
            var ownDays = s.Days.Take(Math.Max(0, s.Days.Count - days)).Select(d => (double)d.Unjustified).ToList();
            bool haveOwn = ownDays.Count >= 7;
            (double ownMedian, double ownSpread) = haveOwn ? MedianAndSpread(ownDays) : (0, 1);
            bool aboveOwn = !haveOwn || exposure > (ownMedian * days) + (p.VolumeZ * ownSpread * Math.Sqrt(days));
            // Unusual against either reference the agent has (peers of its site and role, its own past); with neither, the floor alone.
            bool unusual = (site.Exposure is null && !haveOwn) || (site.Exposure is not null && abovePeers) || (haveOwn && aboveOwn);
            if (unusual)
            {
                return $"{exposure} customers without business need in {days} days (floor {floor}" +
                    (peers is null ? "" : $"; {peers}") + (haveOwn ? $"; own typical {ownMedian:0.#} a day" : "; no own history yet") + ")";
            }
        }

        return null;
    }

    static (double Median, double Spread) MedianAndSpread(List<double> values)
    {
        double median = Median(values);
        double mad = Median(values.Select(v => Math.Abs(v - median)).ToList());
        return (median, Math.Max(1, 1.4826 * mad));
    }

    static RiskAlert? Evaluate(AgentState s, DateTimeOffset now, SiteView site, MonitoringPolicy policy)
    {
        (Level level, _) = Judge(s, site, policy);
        if (level == Level.None)
        {
            if (s.StreamOpen && s.Score < policy.CloseBelow)
            {
                s.StreamOpen = false;
                s.StreamSeverity = null;
            }

            return null;
        }

        string severity = level == Level.Strong ? policy.StrongSeverity : policy.ModerateSeverity;
        if (!s.StreamOpen)
        {
            s.Stream++;
            s.StreamOpen = true;
            s.StreamUpdates = 0;
            s.StreamSeverity = severity;
            return BuildAlert(s, now, site, policy);
        }

        if (s.StreamSeverity is not null && Severities.Rank(severity) > Severities.Rank(s.StreamSeverity))
        {
            // Same stream, stronger evidence: a new alert id, so intake merges it into the open incident.
            s.StreamUpdates++;
            s.StreamSeverity = severity;
            return BuildAlert(s, now, site, policy);
        }

        return null;
    }

    /// <summary>The alert's score sits inside its severity's band, so a producer reading either sees the same verdict.</summary>
    static double Banded(double score, string severity) => severity switch
    {
        Severities.Critical => Math.Clamp(score, 90, 100),
        Severities.High => Math.Clamp(score, 70, 89.9),
        Severities.Medium => Math.Clamp(score, 40, 69.9),
        _ => Math.Clamp(score, 0, 39.9),
    };

    static RiskAlert BuildAlert(AgentState s, DateTimeOffset now, SiteView site, MonitoringPolicy policy)
    {
        (Level level, string why) = Judge(s, site, policy);
        string severity = s.StreamSeverity ?? (level == Level.Strong ? policy.StrongSeverity : policy.ModerateSeverity);
        double score = Math.Round(Banded(Math.Min(100, s.Score), severity), 1);
        var indicators = new List<Indicator>();
        if (s.Exposure30 > 0)
        {
            string verdict = level == Level.Strong ? why : $"{why}; asks first (no strong evidence: contains at {policy.ContainAtUnjustifiedCustomers} customers in 30 days or with corroboration)";
            indicators.Add(new Indicator("mass-record-access",
                $"{RiskReasons.Cumulative}: {s.Exposure7} customers without business need in 7 days, {s.Exposure30} in 30 days; {verdict}", s.Exposure30, now));
        }

        indicators.AddRange(s.Reasons
            .OrderByDescending(r => r.Value.Points)
            .Select(r => new Indicator(RiskReasons.IndicatorKind(r.Key), $"{r.Key}: {r.Value.Detail}", r.Value.Count, r.Value.LastAt)));
        return new RiskAlert(
            "1.0", AlertId(s.UserPrincipalName, s.Stream, s.StreamUpdates), Source, now,
            new AlertSubject(s.UserPrincipalName, s.VendorId, s.SiteId),
            score, severity, indicators, [.. s.ClientIds], Math.Max(s.Exposure30, s.UnjustifiedCustomers.Count), []);
    }

    static void ForgetOldTickets(AgentState s, DateTimeOffset now, MonitoringPolicy policy)
    {
        // Runs for every event: nothing is allocated unless a ticket is due to be forgotten. A closing whose assignment has
        // not been seen is kept while that assignment may still come from a trailing feed (it must not reopen the ticket).
        List<string>? old = null;
        TimeSpan unassigned = policy.TicketGrace + TimeSpan.FromMinutes(policy.TicketFeedLagMinutes);
        foreach (var (id, ticket) in s.Tickets)
        {
            if (ticket.ClosedAt is { } closed && now - closed > (ticket.AssignedAt is null ? unassigned : policy.TicketGrace))
            {
                (old ??= []).Add(id);
            }
        }

        foreach (string id in old ?? [])
        {
            s.Tickets.Remove(id);
        }

        if (s.Tickets.Count > TicketLimit)
        {
            // Tickets never closed: forget the longest open rather than grow without bound (in the dictionary's order, a
            // ticket just assigned into a freed slot came first and was forgotten at once; found by an attack).
            foreach (string id in s.Tickets.OrderBy(t => t.Value.AssignedAt ?? DateTimeOffset.MinValue).Take(s.Tickets.Count - TicketLimit).Select(t => t.Key).ToList())
            {
                s.Tickets.Remove(id);
            }
        }
    }

    /// <summary>What the peer group says, each figure computed at most once per batch and only when needed: the site's usual hours, the peers' 7-day exposure and typical views, the agent's own baseline spread.</summary>
    sealed class SiteView
    {
        public SiteView(PeerGroup peers, string self, MonitoringPolicy policy)
        {
            this.peers = peers;
            this.self = self;
            this.policy = policy;
        }

        readonly PeerGroup peers;
        readonly string self;
        readonly MonitoringPolicy policy;
        readonly Dictionary<string, Spread> own = new(StringComparer.Ordinal);
        Spread? peerViews;
        (bool Done, int? Value) hours;
        (bool Done, (double Median, double Spread, int Count)? Value) exposure;

        /// <summary>The hours a share of the peers work; computed when first asked (most agents have learned hours of their own).</summary>
        public int? Hours
        {
            get
            {
                if (!hours.Done)
                {
                    hours = (true, SiteHours());
                }

                return hours.Value;
            }
        }

        /// <summary>The peers' 7-day exposure; computed when first asked (only once the agent's own exposure reaches a floor).</summary>
        public (double Median, double Spread, int Count)? Exposure
        {
            get
            {
                if (!exposure.Done)
                {
                    exposure = (true, PeerExposure());
                }

                return exposure.Value;
            }
        }

        int? SiteHours()
        {
            var usual = peers.UsualHours.Where(p => !string.Equals(p.Key, self, StringComparison.OrdinalIgnoreCase)).Select(p => p.Value).ToList();
            if (usual.Count < policy.MinPeers)
            {
                return null;
            }

            int mask = 0;
            for (int h = 0; h < 24; h++)
            {
                if (usual.Count(m => (m & (1 << h)) != 0) >= policy.SiteHourShare * usual.Count)
                {
                    mask |= 1 << h;
                }
            }

            return mask;
        }

        (double Median, double Spread, int Count)? PeerExposure()
        {
            var values = peers.Exposure7.Where(p => !string.Equals(p.Key, self, StringComparison.OrdinalIgnoreCase)).Select(p => (double)p.Value).ToList();
            if (values.Count < policy.MinPeers)
            {
                return null;
            }

            (double median, double spread) = MedianAndSpread(values);
            return (median, spread, values.Count);
        }

        /// <summary>The peers' typical views per active hour without the agent's own: fixed for the batch.</summary>
        public Spread PeerViews(string self)
        {
            if (peerViews is null)
            {
                string me = SubjectIdentity.Canonical(self);
                peerViews = Spread.Of(peers.TypicalViews.Where(p => p.Key != me).Select(p => p.Value).ToList());
            }

            return peerViews.Value;
        }

        /// <summary>The agent's own baseline spread of one metric, kept until the baseline changes (an hour rolls).</summary>
        public Spread OwnSpread(string metric, List<HourBucket> baseline, Func<HourBucket, int> value)
        {
            if (!own.TryGetValue(metric, out Spread spread))
            {
                spread = Spread.Of(baseline.ConvertAll(b => (double)value(b)));
                own[metric] = spread;
            }

            return spread;
        }

        public void BaselineChanged() => own.Clear();
    }

    static string Minutes(TimeSpan span) => $"{span.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min";
}
