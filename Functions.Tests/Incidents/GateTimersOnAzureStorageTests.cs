using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Incidents;

/// <summary>
/// Gate steps end on durable timers, which the Azure Storage provider delivers as queue messages made visible on whole
/// seconds: an episode can wake a moment before the step's end. A gate without reminders took that wake for a
/// reminder's and failed its incident (GateStepEndFiredEarlyTests replays one recorded case).
/// </summary>
public sealed class GateTimersOnAzureStorageTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Nobody_deciding_through_a_chain_of_one_second_steps_ends_unreviewed_on_Azure_Storage_never_failed()
    {
        const string policy = """{ "confirm": { "chain": ["securityLead", "deputy", "ciso"], "stepTimeout": "00:00:01" } }""";
        await using TestHost host = await TestHost.StartAsync(policy, store: StoreKind.Azurite, storage: azurite.ConnectionString, taskHub: "gatetimers");
        // Three incidents at once, six step ends: each a chance for a timer to come back early.
        string[] subjects = ["ravi.k@vendor.example", "asha.m@vendor.example", "dev.p@vendor.example"];
        var ids = new List<string>();
        for (int i = 0; i < subjects.Length; i++)
        {
            string subject = subjects[i];
            var (_, id, _) = await host.SendSampleAsync(edit: s => s.Replace("ravi.k@vendor.example", subject).Replace("purview-7f3a91", $"purview-7f3b{i}"));
            ids.Add(id);
        }

        foreach (string id in ids)
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            OrchestrationMetadata done = await host.Host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, wait.Token);
            Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, $"{id}: {done.RuntimeStatus} {done.SerializedOutput}");
            IncidentDetail d = await host.IncidentAsync(id);
            Assert.Equal(Outcomes.Unreviewed, d.Outcome);
            Assert.Equal(2, d.Timeline.Count(t => t.Step == "escalated"));
        }
    }
}
