using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Incidents;

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
            // Stop once the gate's episode has committed: a message taken mid-episode by a stopping host stays
            // invisible for the control-queue visibility timeout (5 min) before the next host sees it.
            await first.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"), seconds: 60);
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

    [Fact]
    public async Task Incident_started_on_the_current_version_completes_after_a_deploy_that_registers_the_next()
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-version-").FullName;
        string id;
        string link;
        await using (TestHost v1 = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString, dataDir: dataDir, taskHub: "versioning"))
        {
            (_, id, _) = await v1.SendSampleAsync();
            await v1.WaitForAsync(id, d => d.Stage == Stages.AwaitingConfirmation && d.Timeline.Any(t => t.Step == "gate opened"), seconds: 60);
            link = await v1.ApprovalLinkAsync("sam.lead@cordon-customer.example", "confirm");
        }

        // The deploy: the next version is registered beside the current one, which stays until its incidents close.
        await using TestHost v2 = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString, dataDir: dataDir, taskHub: "versioning",
            configure: s => s.Configure<DurableTaskRegistry>(Options.DefaultName, r => r.AddOrchestrator<NextWorkflowVersion>()));
        string v2Id = "inc-nextversion-1";
        await v2.Host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(NextWorkflowVersion), "probe", new StartOrchestrationOptions(v2Id));

        var (status, _) = await v2.DecideAsync(link, "reject");

        Assert.Contains(status, new[] { 200, 202 });
        IncidentDetail closed = await v2.WaitForAsync(id, d => d.Stage == Stages.Closed, seconds: 120);
        Assert.Equal(Outcomes.FalsePositive, closed.Outcome);
        Assert.True(v2.Host.Directory.Find("ravi.k@vendor.example")!.AccountEnabled);
        OrchestrationMetadata v1Instance = (await v2.Host.Client.WaitForInstanceCompletionAsync(id, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))!;
        Assert.Equal(IncidentWorkflow.Current, v1Instance.Name);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, v1Instance.RuntimeStatus);
        OrchestrationMetadata v2Instance = (await v2.Host.Client.WaitForInstanceCompletionAsync(v2Id, getInputsAndOutputs: true,
            new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token))!;
        Assert.Equal("v2 ran probe", v2Instance.ReadOutputAs<string>());
    }

    /// <summary>Stands in for the next workflow version: a different orchestrator name, registered by the deploy.</summary>
    sealed class NextWorkflowVersion : TaskOrchestrator<string, string>
    {
        public override Task<string> RunAsync(TaskOrchestrationContext context, string input) => Task.FromResult("v2 ran " + input);
    }
}
