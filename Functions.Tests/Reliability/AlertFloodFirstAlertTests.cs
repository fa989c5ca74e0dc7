namespace Cordon.Tests.Reliability;

/// <summary>
/// The first alerts of a flood arrive together, for a subject with no incident yet. On the Azure Storage provider
/// starting an instance is not atomic (it looks for the id, then sends the start message), so every one of them
/// may "start" the same new incident while only one start message becomes its input: each accepted alert must
/// still end up in exactly one incident, and each answer must say truly where it went.
/// </summary>
[Collection(nameof(AzuriteCollection))]
public sealed class AlertFloodFirstAlertTests(AzuriteFixture azurite, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<AzuriteFixture>
{
    const int Concurrent = 8;

    [Fact]
    public async Task Concurrent_first_alerts_for_a_new_subject_all_land_in_one_incident_with_one_started_answer()
    {
        await using TestHost host = await TestHost.StartAsync(store: StoreKind.Azurite, storage: azurite.ConnectionString, taskHub: "firstalerts");
        string sample = File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json"));
        string[] alertIds = Enumerable.Range(1, Concurrent).Select(i => $"first-{i:D2}").ToArray();

        // All at once: no alert waits for another's answer.
        using var go = new SemaphoreSlim(0);
        var sends = alertIds.Select(async alertId =>
        {
            JsonNode alert = JsonNode.Parse(sample)!;
            alert["alertId"] = alertId;
            await go.WaitAsync();
            return (AlertId: alertId, Answer: await host.SendAsync(alert.ToJsonString()));
        }).ToList();
        go.Release(Concurrent);
        var answers = await Task.WhenAll(sends);
        string summary = string.Join(", ", answers.Select(a => $"{a.AlertId}: {a.Answer.Outcome} {a.Answer.IncidentId}"));
        output.WriteLine(summary);
        Assert.All(answers, a => Assert.Equal(202, a.Answer.Status));

        // Truthful answers: one incident started, once; every other alert was merged into it.
        string id = Assert.Single(answers.Select(a => a.Answer.IncidentId).Distinct());
        Assert.True(answers.Count(a => a.Answer.Outcome == "started") == 1, summary);
        Assert.True(answers.Count(a => a.Answer.Outcome == "merged") == Concurrent - 1, summary);

        // Acted on: the incident took every accepted alert, once.
        IncidentDetail d;
        try
        {
            d = await host.WaitForAsync(id, d => d.AlertCount >= Concurrent, seconds: 60);
        }
        catch (TimeoutException)
        {
            d = await host.IncidentAsync(id);
            Assert.Fail($"{id} took {d.AlertCount} of {Concurrent} accepted alerts: {string.Join(", ", d.AlertIds)} ({summary})");
            throw;
        }

        Assert.Equal(Concurrent, d.AlertCount);
        Assert.Equal(alertIds.Select(a => "purview-irm/" + a).Order(), d.AlertIds.Order());
        Assert.Equal(Concurrent, d.Timeline.Count(t => t.Step is "opened" or "alert merged"));
    }
}
