namespace Cordon.World;

/// <summary>
/// The activity context handed to a class-based activity when the Functions host calls it through
/// its [ActivityTrigger] wrapper (the source generator that would do this is not available here).
/// </summary>
public static class ActivityContexts
{
    public static TaskActivityContext For(string name, string instanceId = "") => new FunctionActivityContext(name, instanceId);

    sealed class FunctionActivityContext(string name, string instanceId) : TaskActivityContext
    {
        public override TaskName Name { get; } = name;

        public override string InstanceId { get; } = instanceId;
    }
}
