using System.Collections.Concurrent;
using Cordon.Alerts;
using Cordon.Policy;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cordon.Behaviour;

/// <summary>
/// The one way access telemetry enters Cordon (HTTP or Service Bus): events are grouped by agent,
/// each agent's state is updated with optimistic concurrency (dedupe by eventId, score, explain),
/// and a score crossing the policy threshold becomes a RiskAlert through <see cref="AlertIntake"/>,
/// the same intake external alerts take, so dedupe and merge into an open incident apply.
/// </summary>
public sealed class TelemetryIntake(BehaviourStateStore store, AlertIntake alerts, IOptions<ResponsePolicyOptions> policy, ILogger<TelemetryIntake> logger)
{
    public const string AgentKind = "agent";
    public const string PeersKind = "peers";

    public async Task<(int Accepted, int Duplicates)> SubmitAsync(DurableTaskClient client, IReadOnlyList<AccessEvent> events, CancellationToken cancellationToken)
    {
        MonitoringPolicy monitoring = policy.Value.Policy.Monitoring;
        var peers = new ConcurrentDictionary<string, Lazy<Task<PeerGroup>>>(StringComparer.Ordinal);
        var typical = new ConcurrentDictionary<string, ConcurrentDictionary<string, double>>(StringComparer.Ordinal);
        int accepted = 0, duplicates = 0;

        var byAgent = events.GroupBy(e => SubjectIdentity.Canonical(e.Agent.UserPrincipalName)).ToList();
        await Parallel.ForEachAsync(byAgent, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (batch, ct) =>
        {
            string agent = batch.Key;
            string site = batch.Last().Agent.SiteId.Trim().ToLowerInvariant();
            PeerGroup group = await peers.GetOrAdd(site, s => new Lazy<Task<PeerGroup>>(() => LoadPeersAsync(s, ct))).Value;
            ScoreOutcome outcome = await store.UpdateAsync<AgentState, ScoreOutcome>(AgentKind, agent, async current =>
            {
                AgentState state = current ?? new AgentState();
                ScoreOutcome o = RiskScorer.Apply(state, batch, group, monitoring);
                if (o.Alert is { } alert)
                {
                    // Before the write: if the write then loses its race, the recomputed alert has the same id and intake calls it a duplicate.
                    IntakeResult result = await alerts.SubmitAsync(client, alert, ct);
                    logger.LogInformation("Monitor alert {AlertId} for {Agent} (score {Score}): {Outcome} {IncidentId}", alert.AlertId, agent, alert.RiskScore, result.Outcome, result.IncidentId);
                }

                return (o.Accepted > 0 ? state : null, o);
            }, ct);

            Interlocked.Add(ref accepted, outcome.Accepted);
            Interlocked.Add(ref duplicates, outcome.Duplicates);
            if (outcome.TypicalViews is { } views)
            {
                typical.GetOrAdd(site, _ => new(StringComparer.Ordinal))[agent] = views;
            }
        });

        // One peer-group write per site and batch: agents rolling into a new hour together would otherwise all race for it.
        foreach (var (site, agents) in typical)
        {
            await store.UpdateAsync<PeerGroup, bool>(PeersKind, site, current =>
            {
                PeerGroup group = current ?? new PeerGroup();
                foreach (var (agent, views) in agents)
                {
                    group.TypicalViews[agent] = views;
                }

                return Task.FromResult<(PeerGroup?, bool)>((group, true));
            }, cancellationToken);
        }

        return (accepted, duplicates);
    }

    async Task<PeerGroup> LoadPeersAsync(string site, CancellationToken cancellationToken) =>
        await store.GetAsync<PeerGroup>(PeersKind, site, cancellationToken) ?? new PeerGroup();
}
