namespace Cordon.Intake;

/// <summary>
/// How a Service Bus message whose hand-on failed comes back (section <c>Cordon:ServiceBus</c>). A failed delivery is
/// abandoned after a pause that grows with its delivery count (<see cref="RetryDelayStep"/> × delivery, at most
/// <see cref="RetryDelayCap"/>), so the queue's deliveries span minutes of a backend outage instead of a second; its last
/// delivery (<see cref="MaxDeliveryCount"/>, the queues' <c>maxDeliveryCount</c> in infra/modules/servicebus.bicep) is
/// dead-lettered by Cordon with the reason <c>IntakeFailed</c> and counted, never left to the broker to drop silently.
/// </summary>
public sealed class MessageRedeliveryOptions : ISelfValidatingOptions
{
    public const string Section = "Cordon:ServiceBus";

    /// <summary>The queues' lock (PT1M in infra): the pause is taken holding the message, so it must end well before.</summary>
    public static readonly TimeSpan QueueLockDuration = TimeSpan.FromMinutes(1);

    /// <summary>The queues' max delivery count: on this delivery a failure dead-letters the message.</summary>
    public int MaxDeliveryCount { get; set; } = 10;

    /// <summary>Pause before abandoning delivery n: n × this, at most <see cref="RetryDelayCap"/>.</summary>
    public TimeSpan RetryDelayStep { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest pause, at most 45 s (the lock is 1 min, and the failed attempt took part of it).</summary>
    public TimeSpan RetryDelayCap { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The pause before abandoning a failed delivery <paramref name="deliveryCount"/> (1-based).</summary>
    public TimeSpan RetryDelay(int deliveryCount) =>
        TimeSpan.FromTicks(Math.Min(RetryDelayCap.Ticks, RetryDelayStep.Ticks * Math.Max(1, deliveryCount)));

    /// <summary>The pauses of every delivery but the last: how long a backend may stay down before a message is dead-lettered.</summary>
    public TimeSpan TotalRetryDelay() =>
        TimeSpan.FromTicks(Enumerable.Range(1, Math.Max(0, MaxDeliveryCount - 1)).Sum(n => RetryDelay(n).Ticks));

    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxDeliveryCount is < 1 or > 2000)
        {
            problems.Add($"{Section}:MaxDeliveryCount must be the queues' max delivery count (1-2000), got {MaxDeliveryCount}");
        }

        if (RetryDelayStep < TimeSpan.Zero)
        {
            problems.Add($"{Section}:RetryDelayStep must not be negative, got '{RetryDelayStep}'");
        }

        if (RetryDelayCap < TimeSpan.Zero || RetryDelayCap > TimeSpan.FromSeconds(45))
        {
            problems.Add($"{Section}:RetryDelayCap must be between 0 and 45 seconds (the pause holds the message's one-minute lock), got '{RetryDelayCap}'");
        }

        return problems;
    }
}
