using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Cordon.Alerts;
using Cordon.Behaviour;

namespace Cordon.Local.Simulation;

/// <summary>What a simulation found: the insiders caught and missed, innocent agents flagged and contained, and why.</summary>
public sealed record SimulationReport(
    int Agents, int Events, int Accepted, int Duplicates, int Rejected,
    IReadOnlyList<string> Insiders, IReadOnlyList<string> Caught, IReadOnlyList<string> Missed, IReadOnlyList<string> FalsePositives,
    IReadOnlyDictionary<string, TimeSpan> DetectionDelay, IReadOnlyDictionary<string, string> Explanations, TimeSpan Elapsed, TimeSpan Posting = default)
{
    /// <summary>Each flagged agent's first monitor alert, on the simulated clock (its detectedAt: the event that raised it).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> FirstAlertAt { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>
    /// Agents whose incident contained them (containedAt set), with the simulated moment of the decision: the detectedAt of
    /// the first alert at or above the auto-contain severity (containment follows it within seconds of wall time).
    /// </summary>
    public IReadOnlyDictionary<string, DateTimeOffset> ContainedAt { get; init; } = new Dictionary<string, DateTimeOffset>();

    public IReadOnlyList<string> InnocentsContained => FalsePositives.Where(ContainedAt.ContainsKey).ToList();

    public double Precision => Caught.Count + FalsePositives.Count == 0 ? 1 : (double)Caught.Count / (Caught.Count + FalsePositives.Count);

    public double Recall => Insiders.Count == 0 ? 1 : (double)Caught.Count / Insiders.Count;

    public double EventsPerSecond => Events / Math.Max(Elapsed.TotalSeconds, 1e-6);

    /// <summary>Events taken into the per-agent state per second of POST /api/telemetry (the incident polling between batches left out).</summary>
    public double EventsPerSecondIntoState => Accepted / Math.Max(Posting.TotalSeconds, 1e-6);
}

/// <summary>One batch of simulated telemetry as sent: its JSON body, its number of events and when it is sent (its latest event's time, or later for a lagging ticket feed).</summary>
public sealed record PreparedBatch(byte[] Json, int Events, DateTimeOffset LastAt);

/// <summary>
/// Posts a simulation's telemetry to /api/telemetry in time-ordered batches (simulated hours pass
/// in seconds: the monitor scores on event time), watches /api/incidents after each batch, and
/// scores the incidents raised against the insiders the simulation planted.
/// </summary>
public static class SimulationRun
{
    /// <summary>
    /// The most simulated time one batch covers: an hour of a site's telemetry, as a producer forwarding it would. The
    /// detection delay does not depend on it: it is measured at the alert's own detectedAt, named in the telemetry receipt.
    /// </summary>
    public static readonly TimeSpan BatchSpan = TimeSpan.FromHours(1);

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>A ticket feed of its own forwards what it has every few minutes (with <c>--ticket-lag</c>).</summary>
    public static readonly TimeSpan TicketFeedSpan = TimeSpan.FromMinutes(5);

    /// <param name="containAtOrAbove">The response policy's auto-contain severity: the first alert at or above it is when containment was decided.</param>
    public static Task<SimulationReport> RunAsync(HttpClient http, SiteSimulation sim, int batchSize, TextWriter? progress, CancellationToken cancellationToken, string containAtOrAbove = Severities.High,
        TimeSpan ticketLag = default) =>
        RunAsync(http, sim, Prepare(sim, batchSize, ticketLag), progress, cancellationToken, containAtOrAbove);

    /// <summary>
    /// The simulation's batches as the producer sends them: JSON bodies, serialized before any is posted, so the time and CPU
    /// of a run are the monitor's (parse, dedupe, scoring, state) and not the simulated producer's serializer. With a
    /// <paramref name="ticketLag"/>, the tickets come from a feed of their own, each batch that much after its last ticket
    /// (a ticketing system exported separately from the support tool's access log); a batch's time is when it is sent.
    /// </summary>
    public static IReadOnlyList<PreparedBatch> Prepare(SiteSimulation sim, int batchSize, TimeSpan ticketLag = default)
    {
        IEnumerable<(List<AccessEvent> Events, DateTimeOffset Sent)> batches = ticketLag <= TimeSpan.Zero
            ? Batches(sim.Events, batchSize, BatchSpan).Select(b => (Events: b, Sent: b[^1].OccurredAt))
            : Batches([.. sim.Events.Where(e => !IsTicket(e))], batchSize, BatchSpan).Select(b => (Events: b, Sent: b[^1].OccurredAt))
                .Concat(Batches([.. sim.Events.Where(IsTicket)], batchSize, TicketFeedSpan).Select(b => (Events: b, Sent: b[^1].OccurredAt + ticketLag)))
                .OrderBy(b => b.Sent); // stable: at the same moment the access log's batch goes first
        return [.. batches.Select(b => new PreparedBatch(JsonSerializer.SerializeToUtf8Bytes(b.Events, Json), b.Events.Count, b.Sent))];
    }

    static bool IsTicket(AccessEvent e) => e.Action is AccessActions.TicketAssigned or AccessActions.TicketClosed;

    public static async Task<SimulationReport> RunAsync(HttpClient http, SiteSimulation sim, IReadOnlyList<PreparedBatch> batches, TextWriter? progress, CancellationToken cancellationToken, string containAtOrAbove = Severities.High)
    {
        var agents = sim.Agents.ToDictionary(a => a.UserPrincipalName, StringComparer.OrdinalIgnoreCase);
        var incidentsBefore = await FlaggedAsync(http, agents, cancellationToken);
        var firstSeen = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        var firstAlert = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        var firstStrong = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        int accepted = 0, duplicates = 0, rejected = 0;
        var watch = Stopwatch.StartNew();
        var posting = new Stopwatch();
        foreach (PreparedBatch batch in batches)
        {
            posting.Start();
            using var body = new ByteArrayContent(batch.Json);
            body.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using HttpResponseMessage response = await http.PostAsync("/api/telemetry", body, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"POST /api/telemetry answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }

            TelemetryReceipt receipt = (await response.Content.ReadFromJsonAsync<TelemetryReceipt>(Json, cancellationToken))!;
            posting.Stop();
            accepted += receipt.Accepted;
            duplicates += receipt.Duplicates;
            rejected += receipt.Rejected.Count;
            foreach (RaisedAlert a in receipt.Alerts ?? [])
            {
                firstAlert.TryAdd(a.Subject, a.DetectedAt);
                if (Severities.Rank(a.Severity) >= Severities.Rank(containAtOrAbove))
                {
                    firstStrong.TryAdd(a.Subject, a.DetectedAt);
                }
            }

            if (receipt.Alerts is { Count: > 0 } || progress is not null)
            {
                // Detection time on the simulated clock: the end of the batch that raised the incident.
                foreach (var (subject, _) in await FlaggedAsync(http, agents, cancellationToken))
                {
                    if (!incidentsBefore.ContainsKey(subject) && firstSeen.TryAdd(subject, batch.LastAt))
                    {
                        progress?.WriteLine($"  {batch.LastAt:yyyy-MM-dd HH:mm} incident for {subject}{(agents[subject].Insider ? " (insider)" : "")}");
                    }
                }
            }
        }

        watch.Stop();
        var flagged = (await FlaggedAsync(http, agents, cancellationToken)).Where(f => !incidentsBefore.ContainsKey(f.Key)).ToDictionary(f => f.Key, f => f.Value, StringComparer.OrdinalIgnoreCase);
        var contained = await ContainedAsync(http, flagged, firstStrong, cancellationToken);
        var insiders = sim.Agents.Where(a => a.Insider).Select(a => a.UserPrincipalName).ToList();
        var caught = insiders.Where(flagged.ContainsKey).ToList();
        // Detection: the first alert's own time when the receipt named it, else the end of the batch after which the incident was listed.
        var delays = caught.Where(u => (firstAlert.ContainsKey(u) || firstSeen.ContainsKey(u)) && sim.FirstIllegitimateAt.ContainsKey(u))
            .ToDictionary(u => u, u => (firstAlert.TryGetValue(u, out DateTimeOffset at) ? at : firstSeen[u]) - sim.FirstIllegitimateAt[u], StringComparer.OrdinalIgnoreCase);
        return new SimulationReport(
            sim.Agents.Count, sim.Events.Count, accepted, duplicates, rejected, insiders, caught,
            insiders.Where(u => !flagged.ContainsKey(u)).ToList(),
            flagged.Keys.Where(u => !agents[u].Insider).ToList(),
            delays, await ExplanationsAsync(http, flagged, cancellationToken), watch.Elapsed, posting.Elapsed)
        {
            FirstAlertAt = firstAlert.Where(a => flagged.ContainsKey(a.Key)).ToDictionary(a => a.Key, a => a.Value, StringComparer.OrdinalIgnoreCase),
            ContainedAt = contained,
        };
    }

    /// <summary>
    /// Agents whose incident reports containedAt. Containment runs a moment after the alert: waits (briefly) for every
    /// incident that had an alert at the auto-contain severity to report it, then reads the rest once.
    /// </summary>
    static async Task<Dictionary<string, DateTimeOffset>> ContainedAsync(HttpClient http, Dictionary<string, string> flagged, Dictionary<string, DateTimeOffset> strong, CancellationToken cancellationToken)
    {
        var contained = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var rows = await http.GetFromJsonAsync<List<JsonElement>>("/api/incidents", cancellationToken) ?? [];
            foreach (JsonElement row in rows)
            {
                string subject = row.GetProperty("subject").GetString() ?? "";
                if (flagged.TryGetValue(subject, out string? id) && id == row.GetProperty("incidentId").GetString() &&
                    row.TryGetProperty("containedAt", out JsonElement c) && c.ValueKind == JsonValueKind.String)
                {
                    // Decided by the first strong alert; contained without one (a policy that contains every alert): at the first alert.
                    contained[subject] = strong.TryGetValue(subject, out DateTimeOffset at) ? at : DateTimeOffset.MinValue;
                }
            }

            if (strong.Keys.Where(flagged.ContainsKey).All(contained.ContainsKey) || DateTime.UtcNow > deadline)
            {
                return contained;
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    /// <summary>
    /// Time-ordered batches of at most <paramref name="size"/> events spanning at most <paramref name="span"/>
    /// of simulated time, so a quiet night does not blur the detection time.
    /// </summary>
    static IEnumerable<List<AccessEvent>> Batches(IReadOnlyList<AccessEvent> events, int size, TimeSpan span)
    {
        var batch = new List<AccessEvent>();
        foreach (AccessEvent e in events)
        {
            if (batch.Count == size || (batch.Count > 0 && e.OccurredAt - batch[0].OccurredAt > span))
            {
                yield return batch;
                batch = [];
            }

            batch.Add(e);
        }

        if (batch.Count > 0)
        {
            yield return batch;
        }
    }

    public static void Print(SimulationReport r, SiteSimulation sim, TextWriter output)
    {
        output.WriteLine($"site {sim.SiteId}: {r.Agents} agents over {sim.Hours:0.#} h ({string.Join(", ", sim.Agents.Where(a => !a.Insider).GroupBy(a => a.Persona).Select(g => $"{g.Count()} {g.Key}"))}), {r.Insiders.Count} insiders, {r.Events} events");
        output.WriteLine($"telemetry: {r.Accepted} accepted, {r.Duplicates} duplicates, {r.Rejected} rejected in {r.Elapsed.TotalSeconds:0.0} s ({r.EventsPerSecond:0} events/s)");
        foreach (string u in r.Caught)
        {
            SimulatedAgent a = sim.Agents.First(x => x.UserPrincipalName == u);
            output.WriteLine($"  caught   {u} ({a.Rate}/shift){(r.DetectionDelay.TryGetValue(u, out TimeSpan d) ? $", {d.TotalHours:0.#} simulated h after the first view without business need" : "")}" +
                (r.ContainedAt.TryGetValue(u, out DateTimeOffset c) ? $", contained after {Harvested(sim, u, c)} customers" : ", not contained (waits for confirmation)"));
        }

        foreach (string u in r.Missed)
        {
            output.WriteLine($"  MISSED   {u}");
        }

        foreach (string u in r.FalsePositives)
        {
            output.WriteLine($"  innocent {u} ({sim.Agents.First(a => a.UserPrincipalName == u).Persona}){(r.ContainedAt.ContainsKey(u) ? " CONTAINED" : ", at the confirmation gate")}");
        }

        foreach (var (u, why) in r.Explanations)
        {
            output.WriteLine($"  why {u}: {why}");
        }

        output.WriteLine($"precision {r.Precision:0.00}  recall {r.Recall:0.00}");
    }

    /// <summary>Customers the insider had viewed without business need up to <paramref name="at"/> (simulated time).</summary>
    public static int Harvested(SiteSimulation sim, string insider, DateTimeOffset at) =>
        sim.Harvests.TryGetValue(insider, out List<DateTimeOffset>? views) ? views.Count(v => v <= at) : 0;

    /// <summary>Simulated agents with an incident: subject → incident id.</summary>
    static async Task<Dictionary<string, string>> FlaggedAsync(HttpClient http, Dictionary<string, SimulatedAgent> agents, CancellationToken cancellationToken)
    {
        var rows = await http.GetFromJsonAsync<List<JsonElement>>("/api/incidents", cancellationToken) ?? [];
        var flagged = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (JsonElement row in rows)
        {
            string subject = row.GetProperty("subject").GetString() ?? "";
            if (agents.ContainsKey(subject))
            {
                flagged.TryAdd(subject, row.GetProperty("incidentId").GetString()!);
            }
        }

        return flagged;
    }

    /// <summary>The indicators each incident's approval mail gives (local host outbox); empty where there is no outbox.</summary>
    static async Task<Dictionary<string, string>> ExplanationsAsync(HttpClient http, Dictionary<string, string> flagged, CancellationToken cancellationToken)
    {
        var explanations = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (explanations.Count < flagged.Count && DateTime.UtcNow < deadline)
        {
            using HttpResponseMessage response = await http.GetAsync("/api/outbox", cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                break;
            }

            var mails = await response.Content.ReadFromJsonAsync<List<JsonElement>>(cancellationToken) ?? [];
            foreach (var (subject, incident) in flagged)
            {
                foreach (JsonElement m in mails)
                {
                    if (m.TryGetProperty("customArgs", out JsonElement args) && args.TryGetProperty("incidentId", out JsonElement id) && id.GetString() == incident &&
                        m.GetProperty("text").GetString()!.Split('\n').FirstOrDefault(l => l.StartsWith("Indicators: ", StringComparison.Ordinal)) is { } line)
                    {
                        explanations[subject] = line["Indicators: ".Length..].Trim();
                    }
                }
            }

            if (explanations.Count < flagged.Count)
            {
                await Task.Delay(200, cancellationToken);
            }
        }

        return explanations;
    }
}
