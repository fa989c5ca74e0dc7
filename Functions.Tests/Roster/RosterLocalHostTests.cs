using Cordon.Local.Connectors;
using Cordon.Roster;

namespace Cordon.Tests.Roster;

/// <summary>
/// The local host syncs a site's group from the simulated directory on its background service, through the same
/// port and roster code as Azure; an alert for someone not in the group is flagged on the incident, not refused.
/// </summary>
public sealed class RosterLocalHostTests
{
    const string Group = RosterSyncTests.Group;

    /// <summary>An account of the directory (an agent of the Manila site), not in the Pune site's group.</summary>
    const string Elsewhere = "liza.r@vendor.example";

    [Fact]
    public async Task An_alert_for_someone_not_in_the_sites_group_opens_an_incident_flagged_not_on_roster()
    {
        string world = TestHost.EditedWorld(w => TestHost.Site(w, "fab-pune-1")["directoryGroupId"] = Group);
        await using TestHost host = await TestHost.StartAsync(world: world);
        var roster = host.Host.Services.GetRequiredService<SiteRoster>();
        RosterCheck synced = await Eventually.Found(() => roster.CheckAsync("fab-pune-1", "ravi.k@vendor.example", default),
            TimeSpan.FromSeconds(10), "the first roster sync of fab-pune-1");

        Assert.True(synced.OnRoster);
        Assert.Equal(43, synced.Members); // the site's 3 listed and 40 generated agents, read from the simulated directory in pages
        Assert.True(host.Host.Services.GetRequiredService<IGroupMembersDelta>() is SimulatedDirectoryGroups { Requests: > 1 });

        var (status, id, _) = await host.SendSampleAsync(edit: a => a
            .Replace("ravi.k@vendor.example", Elsewhere, StringComparison.Ordinal)
            .Replace("purview-7f3a91", "purview-not-on-roster", StringComparison.Ordinal));
        Assert.Equal(202, status);

        IncidentDetail incident = await host.WaitForAsync(id, d => d.Timeline.Any(t => t.Step == "not on roster"));
        Assert.False(incident.Roster!.OnRoster);
        Assert.Equal(Group, incident.Roster.GroupId);
        Assert.Contains(incident.Timeline, t => t.Step == "not on roster" && t.Detail.Contains(Elsewhere, StringComparison.Ordinal));
        IncidentDetail contained = await host.WaitForAsync(id, d => d.ContainedAt is not null); // flagged, not refused
        Assert.NotNull(contained.ContainedAt);

        string page = await host.Http.GetStringAsync($"/api/dashboard/incidents/{id}");
        Assert.Contains("not on roster", page, StringComparison.Ordinal);
    }
}
