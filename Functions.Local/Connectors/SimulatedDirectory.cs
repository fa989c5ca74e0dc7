using Cordon.Access;
using System.Text.Json;
using Cordon.Alerts;
using Cordon.World;

namespace Cordon.Local.Connectors;

/// <summary>One simulated directory account.</summary>
public sealed record SimulatedAccount(
    string UserPrincipalName,
    bool AccountEnabled,
    List<string> Groups,
    List<string> Licences,
    List<string> AppRoles,
    DateTimeOffset? SessionsRevokedAt);

/// <summary>
/// The local stand-in for Entra ID: accounts seeded from the world file, state kept under the data
/// directory so it survives a restart. It spends Graph's write budget like the real service
/// (3,000 writes per 150 s per app and tenant, $batch of 20) so offboarding benchmarks are honest,
/// and it counts every effect so tests can prove "exactly once".
/// </summary>
public sealed class SimulatedDirectory : IAccessControl
{
    public const int WritesPerWindow = 3000;
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(150);

    // Keyed by the canonical identity (NFKC + case folding): every spelling of an account reaches that account, under its exact name.
    readonly Dictionary<string, SimulatedAccount> accounts = new(StringComparer.Ordinal);
    readonly Lock gate = new();
    readonly string? statePath;
    readonly TimeProvider time;
    readonly Queue<DateTimeOffset> recentWrites = new();
    readonly Dictionary<string, int> effects = new(StringComparer.Ordinal);

    public SimulatedDirectory(WorldModel world, string? statePath, TimeProvider time, TimeSpan latency = default, bool enforceThrottling = true)
    {
        this.statePath = statePath;
        this.time = time;
        Latency = latency;
        EnforceThrottling = enforceThrottling;
        foreach (Vendor v in world.Vendors)
        {
            foreach (string svc in v.ServiceAccounts)
            {
                accounts[SubjectIdentity.Canonical(svc)] = new SimulatedAccount(svc, true, [], [], [], null);
            }

            foreach (Site s in v.Sites)
            {
                foreach (Agent a in s.AllAgents())
                {
                    accounts[SubjectIdentity.Canonical(a.UserPrincipalName)] = new SimulatedAccount(a.UserPrincipalName, true, [.. a.Groups], [.. a.Licences], [.. a.AppRoles], null);
                }
            }
        }

        if (statePath is not null && File.Exists(statePath))
        {
            var saved = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath), CordonJson.Options)!;
            foreach (SimulatedAccount a in saved.Accounts)
            {
                accounts[SubjectIdentity.Canonical(a.UserPrincipalName)] = a;
            }

            foreach (var (k, n) in saved.Effects)
            {
                effects[k] = n;
            }
        }
    }

    public bool EnforceThrottling { get; set; }

    /// <summary>Simulated round-trip time per request; the benchmark sets it per scenario.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Directory requests answered (a $batch counts once).</summary>
    public int Requests { get; private set; }

    /// <summary>Most bulk revocations seen in flight at once: the offboarding parallelism bound, observed.</summary>
    public int PeakConcurrentBulkCalls { get; private set; }

    int bulkCallsInFlight;

    /// <summary>Requests refused for want of write budget (answered like a 429 with Retry-After).</summary>
    public int Throttled { get; private set; }

    public SimulatedAccount? Find(string upn)
    {
        lock (gate)
        {
            return accounts.TryGetValue(SubjectIdentity.Canonical(upn), out var a) ? a with { Groups = [.. a.Groups], Licences = [.. a.Licences], AppRoles = [.. a.AppRoles] } : null;
        }
    }

    /// <summary>How many times an effect really changed the directory, e.g. "enable:upn" or "group-add:upn:g".</summary>
    public int EffectCount(string effect)
    {
        lock (gate)
        {
            return effects.TryGetValue(effect, out int n) ? n : 0;
        }
    }

    public async Task<AccessSnapshot> GetAccessAsync(string userPrincipalName, CancellationToken cancellationToken)
    {
        await CallAsync(writes: 0, cancellationToken);
        SimulatedAccount? a = Find(userPrincipalName);
        return a is null
            ? new AccessSnapshot(userPrincipalName, false, false, [], [], [])
            : new AccessSnapshot(a.UserPrincipalName, true, a.AccountEnabled, a.Groups, a.Licences, a.AppRoles);
    }

    public async Task RevokeSessionsAsync(string userPrincipalName, CancellationToken cancellationToken)
    {
        await CallAsync(writes: 1, cancellationToken);
        Mutate(userPrincipalName, a => a with { SessionsRevokedAt = time.GetUtcNow() }, "revoke-sessions");
    }

    public async Task SetAccountEnabledAsync(string userPrincipalName, bool enabled, CancellationToken cancellationToken)
    {
        await CallAsync(writes: 1, cancellationToken);
        Mutate(userPrincipalName, a => a.AccountEnabled == enabled ? null : a with { AccountEnabled = enabled }, enabled ? "enable" : "disable");
    }

    public async Task RemoveGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken)
    {
        foreach (string g in groups)
        {
            await CallAsync(writes: 1, cancellationToken);
            Mutate(userPrincipalName, a => a.Groups.Contains(g) ? a with { Groups = a.Groups.Where(x => x != g).ToList() } : null, $"group-remove:{g}");
        }
    }

    public async Task AddGroupMembershipsAsync(string userPrincipalName, IReadOnlyCollection<string> groups, CancellationToken cancellationToken)
    {
        foreach (string g in groups)
        {
            await CallAsync(writes: 1, cancellationToken);
            Mutate(userPrincipalName, a => a.Groups.Contains(g) ? null : a with { Groups = [.. a.Groups, g] }, $"group-add:{g}");
        }
    }

    public async Task RemoveLicencesAsync(string userPrincipalName, IReadOnlyCollection<string> licences, CancellationToken cancellationToken)
    {
        await CallAsync(writes: 1, cancellationToken);
        Mutate(userPrincipalName, a => a.Licences.Count == 0 ? null : a with { Licences = a.Licences.Except(licences).ToList() }, "licences-remove");
    }

    public async Task RemoveAppRoleAssignmentsAsync(string userPrincipalName, IReadOnlyCollection<string> assignments, CancellationToken cancellationToken)
    {
        foreach (string r in assignments)
        {
            await CallAsync(writes: 1, cancellationToken);
            Mutate(userPrincipalName, a => a.AppRoles.Contains(r) ? a with { AppRoles = a.AppRoles.Where(x => x != r).ToList() } : null, $"approle-remove:{r}");
        }
    }

    /// <summary>
    /// Like Graph's $batch fan-out: two writes per account (revokeSignInSessions + PATCH accountEnabled), 20 per
    /// request. A request the write budget has no room for is not sent: like a 429, the accounts left come back
    /// as <see cref="BulkRevocationResult.Pending"/> with the Retry-After, and nothing here waits.
    /// </summary>
    public async Task<BulkRevocationResult> RevokeAccountsAsync(IReadOnlyList<string> userPrincipalNames, CancellationToken cancellationToken)
    {
        const int AccountsPerRequest = 10;
        var failed = new List<string>();
        var pending = new List<string>();
        TimeSpan? retryAfter = null;
        int revoked = 0, requests = 0;
        lock (gate)
        {
            PeakConcurrentBulkCalls = Math.Max(PeakConcurrentBulkCalls, ++bulkCallsInFlight);
        }

        try
        {
            for (int start = 0; start < userPrincipalNames.Count; start += AccountsPerRequest)
            {
                var slice = userPrincipalNames.Skip(start).Take(AccountsPerRequest).ToList();
                if (retryAfter is null)
                {
                    requests++;
                    retryAfter = await CallAsync(writes: slice.Count * 2, cancellationToken, waitForBudget: false);
                }

                if (retryAfter is not null)
                {
                    pending.AddRange(slice); // throttled: this request and the rest go back
                    continue;
                }

                foreach (string upn in slice)
                {
                    if (Find(upn) is null)
                    {
                        failed.Add(upn);
                        continue;
                    }

                    Mutate(upn, a => a with { SessionsRevokedAt = time.GetUtcNow() }, "revoke-sessions", persist: false);
                    Mutate(upn, a => a.AccountEnabled ? a with { AccountEnabled = false } : null, "disable", persist: false);
                    revoked++;
                }
            }
        }
        finally
        {
            lock (gate)
            {
                bulkCallsInFlight--;
            }
        }

        Persist();
        return new BulkRevocationResult(userPrincipalNames.Count, revoked, requests, failed, pending.Count > 0 ? pending : null, retryAfter);
    }

    /// <summary>A fresh write budget, as if the window had passed (benchmark scenarios run back to back).</summary>
    public void ResetWriteBudget()
    {
        lock (gate)
        {
            recentWrites.Clear();
        }
    }

    /// <summary>
    /// Simulated round trip: latency, and Graph's write budget. A write over budget is refused like a 429 with no
    /// write spent: a single write throws <see cref="DirectoryThrottledException"/> with the Retry-After, a bulk request
    /// (<paramref name="waitForBudget"/> false) gets the Retry-After returned.
    /// </summary>
    async Task<TimeSpan?> CallAsync(int writes, CancellationToken ct, bool waitForBudget = true)
    {
        TimeSpan latency = Latency;
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, time, ct);
        }

        lock (gate)
        {
            Requests++;
            if (EnforceThrottling && writes > 0)
            {
                DateTimeOffset now = time.GetUtcNow();
                while (recentWrites.Count > 0 && now - recentWrites.Peek() >= Window)
                {
                    recentWrites.Dequeue();
                }

                if (recentWrites.Count + writes > WritesPerWindow)
                {
                    // When enough of the window has passed for these writes to fit.
                    DateTimeOffset freeAt = recentWrites.ElementAt(recentWrites.Count + writes - WritesPerWindow - 1) + Window;
                    TimeSpan wait = freeAt - now;
                    Throttled++;
                    if (!waitForBudget)
                    {
                        return wait;
                    }

                    // As Graph does: a 429 with Retry-After, no write spent; the incident waits it out on a durable timer.
                    throw new DirectoryThrottledException($"directory write budget spent ({WritesPerWindow} writes per {Window.TotalSeconds:0} s)", wait);
                }

                for (int i = 0; i < writes; i++)
                {
                    recentWrites.Enqueue(now);
                }
            }
        }

        return null;
    }

    void Mutate(string upn, Func<SimulatedAccount, SimulatedAccount?> change, string effect, bool persist = true)
    {
        lock (gate)
        {
            string key = SubjectIdentity.Canonical(upn);
            if (!accounts.TryGetValue(key, out SimulatedAccount? a))
            {
                return;
            }

            SimulatedAccount? changed = change(a);
            if (changed is null)
            {
                return; // already in the wanted state: idempotent, no effect
            }

            accounts[key] = changed;
            // Counted under the account's exact name, whichever spelling asked for the change.
            string counted = $"{effect}:{a.UserPrincipalName}";
            effects[counted] = effects.TryGetValue(counted, out int n) ? n + 1 : 1;
        }

        if (persist)
        {
            Persist();
        }
    }

    void Persist()
    {
        if (statePath is null)
        {
            return;
        }

        lock (gate)
        {
            var changed = accounts.Values.ToList();
            string tmp = statePath + ".tmp";
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(statePath))!);
            File.WriteAllText(tmp, JsonSerializer.Serialize(new State(changed, effects), CordonJson.Options));
            File.Move(tmp, statePath, overwrite: true);
        }
    }

    sealed record State(List<SimulatedAccount> Accounts, Dictionary<string, int> Effects);
}
