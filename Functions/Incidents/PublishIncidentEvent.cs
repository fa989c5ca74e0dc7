namespace Cordon.Incidents;

/// <summary>Announces one lifecycle event of an incident (Service Bus topic when configured, else the log).</summary>
public sealed class PublishIncidentEvent(IIncidentEventPublisher publisher) : TaskActivity<IncidentEventNotice, string>
{
    [Function(nameof(PublishIncidentEvent))]
    public Task<string> Run([ActivityTrigger] IncidentEventNotice notice) => RunAsync(ActivityContexts.For(nameof(PublishIncidentEvent)), notice);

    public override Task<string> RunAsync(TaskActivityContext context, IncidentEventNotice notice) => publisher.PublishAsync(notice, CancellationToken.None);
}
