namespace Cordon.Incidents;

/// <summary>
/// Announces several lifecycle events of an incident in one step and one send, in their order: an incident contained
/// at intake announces "opened" and "contained" together (one activity and one episode fewer on its way to the confirm
/// gate than two <see cref="PublishIncidentEvent"/> calls one after the other).
/// </summary>
public sealed class PublishIncidentEvents(IIncidentEventPublisher publisher) : TaskActivity<IReadOnlyList<IncidentEventNotice>, IReadOnlyList<string>>
{
    [Function(nameof(PublishIncidentEvents))]
    public Task<IReadOnlyList<string>> Run([ActivityTrigger] IReadOnlyList<IncidentEventNotice> notices) => RunAsync(ActivityContexts.For(nameof(PublishIncidentEvents)), notices);

    public override Task<IReadOnlyList<string>> RunAsync(TaskActivityContext context, IReadOnlyList<IncidentEventNotice> notices) =>
        publisher.PublishAllAsync(notices, CancellationToken.None);
}
