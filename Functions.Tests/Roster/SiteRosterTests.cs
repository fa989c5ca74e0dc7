using Cordon.Access;
using Cordon.Evidence;
using Cordon.Containment;
using Cordon.Local.Connectors;
using Cordon.Offboarding;
using Cordon.Roster;

namespace Cordon.Tests.Roster;

/// <summary>Offboarding, counts and triage read a site's synced roster when it names a directory group, and the world otherwise.</summary>
public sealed class SiteRosterTests
{
    const string Site = RosterSyncTests.Site;
    static readonly DateTimeOffset SyncedAt = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    /// <summary>A roster of three of the site's generated agents (the world lists 31): what the group says now.</summary>
    static async Task<MemoryRosterStore> SyncedRoster(string group = RosterSyncTests.Group)
    {
        var store = new MemoryRosterStore();
        string[] upns = ["agent00002.fab-manila-1@vendor.example", "agent00005.fab-manila-1@vendor.example", "agent00009.fab-manila-1@vendor.example"];
        await store.UpsertAsync(Site, [.. upns.Select((u, i) => new RosterMember($"u-{i}", u, ""))], 1, default);
        await store.SaveCheckpointAsync(new RosterCheckpoint(Site, group, null, "delta", 1, false, SyncedAt, Members: upns.Length), default);
        return store;
    }

    static RiskAlert Alert(string upn) => AlertParser.Parse(System.Text.Encoding.UTF8.GetBytes($$"""
        { "schemaVersion": "1.0", "alertId": "a-1", "source": "custom", "detectedAt": "2026-11-30T09:30:00Z",
          "subject": { "userPrincipalName": "{{upn}}", "vendorId": "fabrikam-bpo", "siteId": "{{Site}}" }, "riskScore": 95 }
        """)).Alert!;

    [Fact]
    public async Task Offboarding_revokes_the_accounts_on_the_roster_not_the_world_list()
    {
        var configuration = RosterSyncTests.WorldNamingGroup();
        WorldModel world = configuration.Current.World;
        var roster = new SiteRoster(await SyncedRoster(), configuration);
        string dir = Directory.CreateTempSubdirectory("cordon-roster-").FullName;
        var directory = new SimulatedDirectory(world, null, TimeProvider.System);
        var activity = new RevokeSiteBatch(directory, new FolderEvidenceStore(dir, TimeProvider.System), Options.Create(new WorldOptions { World = world }), roster);

        BulkRevocationResult result = await activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), new SiteBatch("inc-0123456789ab-1", Site, 0, 20));

        Assert.Equal(3, result.Accounts);
        Assert.Equal(3, result.Revoked);
        Assert.Equal(1, directory.EffectCount("disable:agent00005.fab-manila-1@vendor.example"));
        Assert.Equal(0, directory.EffectCount("disable:agent00001.fab-manila-1@vendor.example")); // listed in the world, not in the group
        Assert.Equal(0, directory.EffectCount("disable:listed.only@vendor.example"));
        Assert.Equal(3, await roster.CountAsync(Site, default));
    }

    [Fact]
    public async Task Training_counts_the_sites_agents_from_the_roster()
    {
        var configuration = RosterSyncTests.WorldNamingGroup();
        string dir = Directory.CreateTempSubdirectory("cordon-roster-").FullName;
        var outbox = new Outbox(dir, TimeProvider.System);
        var activity = new AssignTraining(outbox, Options.Create(new WorldOptions { World = configuration.Current.World }), new SiteRoster(await SyncedRoster(), configuration));

        int agents = await activity.RunAsync(ActivityContexts.For(nameof(AssignTraining)),
            new TrainingRequest("inc-0123456789ab-1", "fabrikam-bpo", Site, ["vendor-management@fabrikam-bpo.example"]));

        Assert.Equal(3, agents);
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task An_alert_whose_subject_is_not_on_the_sites_roster_is_flagged_and_its_plan_counts_the_roster()
    {
        var configuration = RosterSyncTests.WorldNamingGroup();
        var roster = new SiteRoster(await SyncedRoster(), configuration);
        RiskAlert stranger = Alert("listed.only@vendor.example");
        ResponsePlan plain = TriageAlert.Plan(stranger, configuration.Current);

        ResponsePlan flagged = await TriageAlert.WithRosterAsync(plain, stranger, roster, default);
        ResponsePlan member = await TriageAlert.WithRosterAsync(plain, Alert("Agent00005.FAB-manila-1@vendor.example"), roster, default);

        Assert.Equal(31, plain.SiteAgentCount); // the world's list
        Assert.Equal(new RosterCheck(RosterSyncTests.Group, false, SyncedAt, 3), flagged.Roster);
        Assert.Equal(3, flagged.SiteAgentCount);
        Assert.True(member.Roster!.OnRoster);
        Assert.Equal(plain.AutoContain, flagged.AutoContain); // flagged, not refused: the response is the same
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task A_site_without_a_group_or_whose_group_was_never_synced_uses_the_world()
    {
        RiskAlert alert = Alert("listed.only@vendor.example");
        var noGroup = RosterSyncTests.WorldNamingGroup(group: null);
        var otherGroup = RosterSyncTests.WorldNamingGroup(group: "0d6c4b8e-1111-4a2b-9c3d-5e6f7a8b9c0d");

        foreach (var configuration in new[] { noGroup, otherGroup })
        {
            var roster = new SiteRoster(await SyncedRoster(), configuration);
            ResponsePlan plan = await TriageAlert.WithRosterAsync(TriageAlert.Plan(alert, configuration.Current), alert, roster, default);
            Assert.Null(plan.Roster);
            Assert.Equal(31, await roster.CountAsync(Site, default));
            Assert.Equal(31, (await roster.AccountsAsync(Site, default)).Count);
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task A_group_synced_with_no_user_members_is_not_believed_and_offboarding_keeps_the_world_list()
    {
        var configuration = RosterSyncTests.WorldNamingGroup();
        var store = new MemoryRosterStore();
        await store.SaveCheckpointAsync(new RosterCheckpoint(Site, RosterSyncTests.Group, null, "delta", 1, false, SyncedAt, Members: 0), default);
        var roster = new SiteRoster(store, configuration);

        Assert.Equal(31, await roster.CountAsync(Site, default));
        Assert.Null(await roster.CheckAsync(Site, "listed.only@vendor.example", default));
    }

    /// <summary>
    /// Found by an attack: a roster emptied while its checkpoint still said 3 members (a failed re-read had swept it) listed
    /// nobody to offboard, counted 3, and flagged every subject "not on roster". A list that disagrees with its checkpoint is
    /// not trusted: its accounts are refused, its count is the checkpoint's, and nobody is flagged.
    /// </summary>
    [Fact]
    [Trait("Category", "Unit")]
    public async Task A_roster_that_disagrees_with_its_checkpoint_is_not_trusted_for_accounts_or_flags()
    {
        var configuration = RosterSyncTests.WorldNamingGroup();
        var emptied = new MemoryRosterStore();
        await emptied.SaveCheckpointAsync(new RosterCheckpoint(Site, RosterSyncTests.Group, null, "delta", 2, true, SyncedAt, Members: 3), default);
        var shrunk = await SyncedRoster();
        await shrunk.RemoveAsync(Site, ["u-0"], default); // no sync under way, and 2 listed where it counted 3

        foreach (MemoryRosterStore store in new[] { emptied, shrunk })
        {
            var roster = new SiteRoster(store, configuration);
            await Assert.ThrowsAsync<RosterUnsettledException>(() => roster.AccountsAsync(Site, default));
            Assert.Equal(3, await roster.CountAsync(Site, default));
            Assert.Null(await roster.CheckAsync(Site, "listed.only@vendor.example", default));
        }
    }

    [Fact]
    [Trait("Category", "Unit")]
    public async Task Offboarding_never_stores_an_empty_account_list_while_the_site_counts_accounts()
    {
        var configuration = RosterSyncTests.WorldNamingGroup();
        WorldModel world = configuration.Current.World;
        var store = new MemoryRosterStore();
        await store.SaveCheckpointAsync(new RosterCheckpoint(Site, RosterSyncTests.Group, null, "delta", 2, true, SyncedAt, Members: 3), default);
        var roster = new SiteRoster(store, configuration);
        string dir = Directory.CreateTempSubdirectory("cordon-roster-").FullName;
        var evidence = new FolderEvidenceStore(dir, TimeProvider.System);
        var directory = new SimulatedDirectory(world, null, TimeProvider.System);
        var activity = new RevokeSiteBatch(directory, evidence, Options.Create(new WorldOptions { World = world }), roster);
        var batch = new SiteBatch("inc-0123456789ab-1", Site, 0, 20);

        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch));
        Assert.Null(await evidence.GetAsync(batch.IncidentId, RevokeSiteBatch.AccountsItem, default));

        // The roster settles (the re-read finished); the step's retry finds it and revokes the site.
        string[] upns = ["agent00002.fab-manila-1@vendor.example", "agent00005.fab-manila-1@vendor.example", "agent00009.fab-manila-1@vendor.example"];
        await store.UpsertAsync(Site, [.. upns.Select((u, i) => new RosterMember($"u-{i}", u, ""))], 2, default);
        await store.SaveCheckpointAsync(new RosterCheckpoint(Site, RosterSyncTests.Group, null, "delta-2", 2, false, SyncedAt, Members: 3), default);
        BulkRevocationResult result = await activity.RunAsync(ActivityContexts.For(nameof(RevokeSiteBatch)), batch);

        Assert.Equal(3, result.Revoked);
        Assert.Equal(1, directory.EffectCount("disable:agent00005.fab-manila-1@vendor.example"));
    }

    [Fact]
    [Trait("Category", "Unit")]
    public void A_directory_group_id_that_is_not_a_GUID_is_refused_with_the_field_named()
    {
        string json = """{ "vendors": [ { "id": "v", "sites": [ { "id": "s-1", "directoryGroupId": "site-agents" } ] } ] }""";

        var error = Assert.Throws<InvalidDataException>(() => WorldModel.ParseValid(json, "test"));

        Assert.Contains("vendors[0].sites[0].directoryGroupId 'site-agents' is not a GUID", error.Message, StringComparison.Ordinal);
    }
}
