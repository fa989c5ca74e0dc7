using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Incidents;

/// <summary>
/// An incident whose orchestration fails (a bug in the workflow's own code: an overflow did it once, after intake had
/// disabled the account) can no longer act or be acted on. It must not pass for a closed, unreviewed incident.
/// </summary>
public sealed class FailedWorkflowTests
{
    [Fact]
    public async Task An_incident_whose_workflow_failed_heads_the_list_as_waiting_for_an_operator_not_as_closed()
    {
        await using TestHost host = await TestHost.StartAsync();
        var config = host.Host.Services.GetRequiredService<Cordon.Configuration.LiveConfiguration>();
        RiskAlert alert = AlertParser.Parse(File.ReadAllBytes(Repo.Path("samples/alerts/critical-bribery.json"))).Alert!;
        string id = IncidentIds.For(alert.Subject.UserPrincipalName, 1);
        // A plan without its client list makes the workflow's own code throw: the orchestration fails.
        ResponsePlan broken = TriageAlert.Plan(alert, config.Current) with { Clients = null! };
        await host.Host.Client.ScheduleNewOrchestrationInstanceAsync(IncidentWorkflow.Current, new IncidentInput(id, alert, DateTime.UtcNow, broken), new StartOrchestrationOptions(id));
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(OrchestrationRuntimeStatus.Failed, (await host.Host.Client.WaitForInstanceCompletionAsync(id, wait.Token)).RuntimeStatus);

        IncidentDetail d = await host.IncidentAsync(id);

        Assert.Equal(IncidentQueries.WorkflowFailedStep, d.WaitingForOperator?.Step);
        Assert.Contains("check the subject's access in the directory", d.WaitingForOperator!.Error, StringComparison.Ordinal);
        string page = await host.Http.GetStringAsync("/");
        var needsYou = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(page).QuerySelector("#needs-you")!.TextContent;
        Assert.Contains(id, needsYou, StringComparison.Ordinal);
        Assert.Contains("its workflow failed", needsYou, StringComparison.Ordinal);
    }
}
