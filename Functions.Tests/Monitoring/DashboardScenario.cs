using Cordon.Access;
using Cordon.Local.Connectors;

namespace Cordon.Tests.Monitoring;

/// <summary>
/// A local host with three incidents in different states: one contained and awaiting confirmation
/// (ravi), one closed as a false positive (liza), one whose containment failed and waits for an
/// operator (asha, during a directory outage).
/// </summary>
public sealed class DashboardScenario : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public FaultSwitch Faults { get; } = new();

    public string Contained { get; private set; } = "";

    public string FalsePositive { get; private set; } = "";

    public string Failed { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Host = await StartFaultyHostAsync(Faults);
        (_, FalsePositive, _) = await Host.SendSampleAsync("cloudevent-high.json");
        await Host.WaitForAsync(FalsePositive, d => d.PendingApprovals.Count == 1);
        await Host.DecideAsync(await ConfirmLinkAsync(Host, FalsePositive), "reject", "shared workstation: not her session");
        await Host.WaitForAsync(FalsePositive, d => d.Stage == Stages.Closed && d.Outcome == Outcomes.FalsePositive);

        (_, Contained, _) = await Host.SendSampleAsync();
        await Host.WaitForAsync(Contained, d => d.Stage == Stages.AwaitingConfirmation && d.PendingApprovals.Count == 1);

        Faults.Failing = true;
        (_, Failed, _) = await Host.SendSampleAsync("medium-off-hours.json", RaisedToCritical);
        await Host.WaitForAsync(Failed, d => d.WaitingForOperator is not null);
    }

    public Task DisposeAsync() => Host.DisposeAsync().AsTask();

    /// <summary>The medium sample with a critical score, so it is contained at once (and fails while the directory is down).</summary>
    public static string RaisedToCritical(string alert) => alert.Replace("\"riskScore\": 55", "\"riskScore\": 92");

    public static Task<TestHost> StartFaultyHostAsync(FaultSwitch faults) => TestHost.StartAsync(configure: s =>
        s.AddSingleton<IAccessControl>(sp => new FaultyAccessControl(sp.GetRequiredService<SimulatedDirectory>(), faults)));

    /// <summary>The confirm-gate link mailed for one incident (the outbox holds links of every incident).</summary>
    public static Task<string> ConfirmLinkAsync(TestHost host, string incidentId) =>
        Eventually.Found(async () => ApprovalMails.LinkFor((await host.Http.GetFromJsonAsync<List<JsonElement>>("/api/outbox"))!, "confirm", incidentId: incidentId),
            TimeSpan.FromSeconds(30), $"a confirm mail for {incidentId}");
}
