using Cordon.Intake;
using System.Collections.Concurrent;

namespace Cordon.Tests.Reliability;

/// <summary>
/// Alert producers deliver at least once, in any order, concurrently: every alert is either the start
/// of an incident, merged into its subject's open incident, or a recognised duplicate — never lost.
/// </summary>
public sealed class AtLeastOnceDeliveryTests(Xunit.Abstractions.ITestOutputHelper output)
{
    const int Subjects = 100;
    const int AlertsPerSubject = 3;
    const int Deliveries = 500;

    [Fact]
    public async Task Five_hundred_shuffled_and_repeated_deliveries_for_100_subjects_open_exactly_100_incidents_and_lose_no_alert()
    {
        string dataDir = Directory.CreateTempSubdirectory("cordon-delivery-").FullName;
        string world = TestHost.EditedWorld(w => TestHost.Site(w, "fab-pune-1")["generatedAgents"] = Subjects);
        await using TestHost host = await TestHost.StartAsync(world: world, dataDir: dataDir);

        // 300 distinct alerts (3 per subject) plus 200 re-deliveries of random ones, shuffled.
        var random = new Random(8);
        var distinct = Enumerable.Range(1, Subjects)
            .SelectMany(s => Enumerable.Range(1, AlertsPerSubject).Select(n => (Subject: Upn(s), AlertId: $"dtex-{s:D3}-{n}")))
            .ToList();
        var deliveries = distinct.Concat(Enumerable.Range(0, Deliveries - distinct.Count).Select(_ => distinct[random.Next(distinct.Count)])).ToArray();
        random.Shuffle(deliveries);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = new ConcurrentBag<(string Subject, string AlertId, int Status, string IncidentId, string Outcome)>();
        await Parallel.ForEachAsync(deliveries, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (d, _) =>
        {
            var (status, incidentId, outcome) = await host.SendAsync(Alert(d.Subject, d.AlertId));
            answers.Add((d.Subject, d.AlertId, status, incidentId, outcome));
        });

        output.WriteLine($"{Deliveries} deliveries answered in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(Deliveries, answers.Count);
        Assert.All(answers, a => Assert.True(a.Status == 202, $"{a.AlertId}: {a.Status} {a.Outcome}"));
        Assert.All(answers, a => Assert.Contains(a.Outcome, new[] { IntakeOutcomes.Started, IntakeOutcomes.Merged, IntakeOutcomes.Duplicate }));
        // One incident per subject, every delivery for that subject answered with it, exactly one "started".
        foreach (var subject in answers.GroupBy(a => a.Subject))
        {
            Assert.Single(subject.Select(a => a.IncidentId).Distinct());
            Assert.Single(subject, a => a.Outcome == IntakeOutcomes.Started);
        }

        var incidents = await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents");
        Assert.Equal(Subjects, incidents!.Count);
        Assert.Equal(Subjects, incidents.Select(i => i.Subject).Distinct(StringComparer.OrdinalIgnoreCase).Count());

        // None lost: each incident ends up holding every distinct alert of its subject, once.
        foreach (var subject in answers.GroupBy(a => a.IncidentId))
        {
            var expected = subject.Select(a => $"dtex/{a.AlertId}").Distinct().Order().ToList();
            IncidentDetail d = await host.WaitForAsync(subject.Key, d => d.AlertIds.Count == expected.Count, seconds: 120);
            Assert.Equal(expected, d.AlertIds.Order());
            Assert.Equal(AlertsPerSubject - 1, d.Timeline.Count(t => t.Step == "alert merged"));
        }

        output.WriteLine($"every alert recorded on its incident after {clock.Elapsed.TotalSeconds:0.0} s");
    }

    static string Upn(int subject) => $"agent{subject:D5}.fab-pune-1@vendor.example";

    static string Alert(string upn, string alertId)
    {
        JsonNode alert = JsonNode.Parse(File.ReadAllText(Repo.Path("samples/alerts/medium-off-hours.json")))!;
        alert["alertId"] = alertId;
        alert["subject"]!["userPrincipalName"] = upn;
        return alert.ToJsonString();
    }
}
