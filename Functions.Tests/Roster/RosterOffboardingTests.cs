using Cordon.Roster;
using Microsoft.Extensions.Hosting;

namespace Cordon.Tests.Roster;

/// <summary>Site offboarding revokes the site's list as offboarding finds it, whatever intake counted (found by an attack: a site counted 0 ran no batch).</summary>
public sealed class RosterOffboardingTests
{
    static readonly string Policy = TestHost.OffboardingPolicy(parallelism: 3, quickRetries: true);
    const string Group = "6f1b8a2e-0c5d-4e9a-9b7f-1a2b3c4d5e6f";

    [Fact]
    public async Task A_site_counted_zero_at_intake_whose_roster_synced_since_is_offboarded()
    {
        // fab-pune-1 names its directory group and lists no agents (the roster is where its agents are); the group's
        // first sync had not completed when the alert came in. The accounts live in the directory (here via another site).
        string world = TestHost.EditedWorld(w =>
        {
            JsonNode pune = TestHost.Site(w, "fab-pune-1");
            JsonNode hidden = pune.DeepClone();
            hidden["id"] = "fab-pune-directory";
            hidden["generatedAgents"] = 17;
            hidden.AsObject().Remove("directoryGroupId");
            pune["agents"] = new JsonArray();
            pune["generatedAgents"] = 0;
            pune["directoryGroupId"] = Group;
            w["vendors"]![0]!["sites"]!.AsArray().Add(hidden);
        });
        var roster = new MemoryRosterStore();
        await using TestHost host = await TestHost.StartAsync(Policy, world, configure: s =>
        {
            s.AddSingleton<IRosterStore>(roster);
            var sync = s.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "RosterSyncService").ToList();
            foreach (var d in sync) { s.Remove(d); }
        });
        var (_, id, _) = await host.SendSampleAsync();
        await host.EscalateToSecondVendorVoteAsync(id);

        // Before the second vendor vote the roster's sync completes: 20 accounts.
        var accounts = host.Host.Services.GetRequiredService<IOptions<WorldOptions>>().Value.World.FindSite("fab-pune-directory")!.Value.Site.AllAgents()
            .Select(a => a.UserPrincipalName).ToList();
        await roster.UpsertAsync("fab-pune-1", [.. accounts.Select((u, i) => new RosterMember($"u-{i}", u, ""))], 1, default);
        await roster.SaveCheckpointAsync(new RosterCheckpoint("fab-pune-1", Group, null, "delta", 1, false, DateTimeOffset.UtcNow, Members: accounts.Count), default);
        await host.CompleteVendorQuorumAsync();

        IncidentDetail closed = await host.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 60);
        string offboarded = closed.Timeline.Single(t => t.Step == "site offboarded").Detail;
        string notified = closed.Timeline.Single(t => t.Step == "vendor notified").Detail;
        var stillEnabled = accounts.Where(a => host.Host.Directory.Find(a)!.AccountEnabled).ToList();
        Assert.True(stillEnabled.Count == 0, $"timeline: site offboarded \"{offboarded}\"; vendor notified \"{notified}\"; {stillEnabled.Count} of {accounts.Count} roster accounts still enabled");
    }
}
