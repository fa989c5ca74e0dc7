using Cordon.Incidents;
using Cordon.Local;

namespace Cordon.Tests.Incidents;

/// <summary>Azurite-backed tests run alone: on two cores the storage provider's polling starves under the parallel suite.</summary>
[CollectionDefinition(nameof(AzuriteCollection), DisableParallelization = true)]
public sealed class AzuriteCollection;

/// <summary>The local host on the Azure Storage provider (Azurite): incidents survive a restart.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class DurabilityTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Incident_waiting_for_confirmation_survives_a_host_restart_and_closes()
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-durable-").FullName;
        string id;
        string link;
        await using (TestHost first = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString, dataDir: dataDir))
        {
            (_, id, _) = await first.SendSampleAsync();
            await first.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1, seconds: 60);
            link = await first.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        }

        await using TestHost second = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString, dataDir: dataDir);
        Assert.Equal(Stages.AwaitingConfirmation, (await second.IncidentAsync(id)).Stage);
        Assert.False(second.Host.Directory.Find("ravi.k@vendor.example")!.AccountEnabled);

        var (status, _) = await second.DecideAsync(link, "reject");

        // 202 = delivered while the restarted backend is still taking over the task hub's lease.
        Assert.Contains(status, new[] { 200, 202 });
        IncidentDetail closed = await second.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 120);
        Assert.Equal(Outcomes.FalsePositive, closed.Outcome);
        Assert.True(second.Host.Directory.Find("ravi.k@vendor.example")!.AccountEnabled);
        Assert.Equal(1, second.Host.Directory.EffectCount("disable:ravi.k@vendor.example"));
        Assert.Equal(1, second.Host.Directory.EffectCount("enable:ravi.k@vendor.example"));
    }
}
