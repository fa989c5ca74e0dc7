using Cordon.Intake;

namespace Cordon.Tests.Reliability;

/// <summary>
/// An alert merged into an open incident is acknowledged only once the incident shows it taken: an incident whose steps
/// are queued (a backlog, a crashed worker) may close before it reads the alert, and then nobody would place it.
/// </summary>
public sealed class MergeConfirmationTests
{
    [Fact]
    public async Task A_merge_the_incident_has_not_shown_as_taken_is_not_acknowledged_and_sent_again_is_one_effect()
    {
        await using TestHost host = await TestHost.StartAsync();
        string first = await host.SendSampleToConfirmationAsync();
        IServiceProvider sp = host.Host.Services;
        var impatient = new AlertIntake(TimeProvider.System, sp.GetRequiredService<Cordon.Monitoring.CordonMetrics>(),
            Microsoft.Extensions.Logging.Abstractions.NullLogger<AlertIntake>.Instance, sp.GetRequiredService<Cordon.Configuration.LiveConfiguration>())
        {
            MergeConfirmation = TimeSpan.Zero,
        };
        string sample = await File.ReadAllTextAsync(Repo.Path("samples/alerts/critical-bribery.json"));
        string again = sample.Replace("purview-7f3a91", "purview-same-agent-again", StringComparison.Ordinal);
        RiskAlert alert = AlertParser.Parse(System.Text.Encoding.UTF8.GetBytes(again)).Alert!;

        // The incident's steps are held (as behind a backlog): the merge is delivered but cannot be taken yet.
        await host.Host.Client.SuspendInstanceAsync(first, "test: steps queued");
        await Assert.ThrowsAsync<MergeNotConfirmedException>(() => impatient.SubmitAsync(host.Host.Client, alert, CancellationToken.None));
        Assert.True(Cordon.Alerts.StoreUnavailable.Matches(new MergeNotConfirmedException("x")), "not acknowledged: answered 503 with Retry-After");

        await host.Host.Client.ResumeInstanceAsync(first, "test: backlog cleared");
        await host.WaitForAsync(first, d => d.AlertIds.Count == 2);
        var (status, id, outcome) = await host.SendAsync(again);
        Assert.Equal((202, first, IntakeOutcomes.Duplicate), (status, id, outcome));
        Assert.Equal(2, (await host.IncidentAsync(first)).AlertIds.Count);
    }
}
