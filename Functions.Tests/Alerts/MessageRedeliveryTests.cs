using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Azure.Messaging.ServiceBus;
using Cordon.Configuration;
using Cordon.Intake;
using Cordon.Monitoring;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Configuration;

namespace Cordon.Tests.Alerts;

/// <summary>
/// A valid message whose hand-on keeps failing (found by an attack: with the engine unreachable all ten deliveries were
/// spent in 0.54 s, each abandoned at once, and the broker dead-lettered the alert as MaxDeliveryCountExceeded with no
/// reason from Cordon and no metric, so nobody was told). A failed delivery is abandoned only after a pause growing with
/// its delivery count; the last one is dead-lettered as IntakeFailed with the error and counted.
/// </summary>
[Trait("Category", "Unit")]
public sealed class MessageRedeliveryTests
{
    static string Sample => File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json"));

    static ServiceBusReceivedMessage Delivery(string body, int deliveryCount, DateTimeOffset lockedUntil = default) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString(body), messageId: Guid.NewGuid().ToString(), deliveryCount: deliveryCount, lockedUntil: lockedUntil);

    static Task Unreachable() => throw new InvalidOperationException("engine unreachable");

    /// <summary>Settler, clock and the metrics of one provider; a pause shows in the settlement's calls as "wait {seconds}s".</summary>
    sealed class Rig : IAsyncDisposable
    {
        readonly ServiceProvider services;
        readonly MeterListener listener = new();
        readonly ConcurrentQueue<(string Queue, string Reason)> deadLettered = new();

        public Rig(Action<IServiceCollection>? add = null, bool engine = false)
        {
            var collection = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(Clock);
            if (engine)
            {
                collection.AddCordonAlerts().AddCordonConfiguration(new ConfigurationBuilder().Build());
                collection.AddDurableTaskClient(b => b.UseGrpc("http://127.0.0.1:9")); // nothing listens there
            }

            collection.AddCordonMessageSettlement();
            add?.Invoke(collection);
            services = collection.BuildServiceProvider();
            Clock.Waited = w => Settle.Calls.Add($"wait {w.TotalSeconds}s");
            IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == CordonMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((i, _, tags, _) =>
            {
                if (i.Name == CordonMetrics.MessagesDeadLettered)
                {
                    var t = tags.ToArray().ToDictionary(k => k.Key, k => k.Value?.ToString());
                    deadLettered.Enqueue((t["queue"]!, t["reason"]!));
                }
            });
            listener.Start();
        }

        public ImmediateTimeProvider Clock { get; } = new();

        public RecordingSettlement Settle { get; } = new();

        public IServiceProvider Services => services;

        public MessageSettler Settler => services.GetRequiredService<MessageSettler>();

        public IReadOnlyList<(string Queue, string Reason)> DeadLettered => [.. deadLettered];

        public async ValueTask DisposeAsync()
        {
            listener.Dispose();
            await services.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(1, 5)]
    [InlineData(2, 10)]
    [InlineData(5, 25)]
    [InlineData(6, 30)]
    [InlineData(9, 30)]
    public async Task A_failed_early_delivery_is_abandoned_only_after_a_pause_growing_with_its_delivery_count(int delivery, int seconds)
    {
        await using var rig = new Rig();

        Settlement result = await rig.Settler.CompleteAfterAsync(Delivery(Sample, delivery), rig.Settle, AlertMessageHandler.Queue, Unreachable, default);

        Assert.Equal(Settlement.Abandoned, result);
        Assert.Equal([$"wait {seconds}s", "abandon"], rig.Settle.Calls);
        Assert.Empty(rig.DeadLettered);
    }

    [Fact]
    public async Task The_last_delivery_failing_too_is_dead_lettered_as_IntakeFailed_with_the_error_and_counted()
    {
        await using var rig = new Rig();

        Settlement result = await rig.Settler.CompleteAfterAsync(Delivery(Sample, 10), rig.Settle, AlertMessageHandler.Queue, Unreachable, default);

        Assert.Equal(Settlement.DeadLettered, result);
        Assert.Equal(["dead-letter:IntakeFailed:delivery 10 of 10 failed: InvalidOperationException: engine unreachable"], rig.Settle.Calls);
        Assert.Equal([(AlertMessageHandler.Queue, MessageSettler.IntakeFailed)], rig.DeadLettered);
    }

    [Fact]
    public async Task The_max_delivery_count_is_a_setting_and_a_later_delivery_than_it_is_dead_lettered_too()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Cordon:ServiceBus:MaxDeliveryCount"] = "3" }).Build();
        await using var rig = new Rig(s => s.AddSingleton<IConfiguration>(config));

        Assert.Equal(Settlement.Abandoned, await rig.Settler.CompleteAfterAsync(Delivery(Sample, 2), rig.Settle, TelemetryMessageHandlerQueue, Unreachable, default));
        Assert.Equal(Settlement.DeadLettered, await rig.Settler.CompleteAfterAsync(Delivery(Sample, 3), rig.Settle, TelemetryMessageHandlerQueue, Unreachable, default));
        Assert.Equal(Settlement.DeadLettered, await rig.Settler.CompleteAfterAsync(Delivery(Sample, 7), rig.Settle, TelemetryMessageHandlerQueue, Unreachable, default));

        Assert.Equal(["wait 10s", "abandon", "dead-letter:IntakeFailed:delivery 3 of 3 failed: InvalidOperationException: engine unreachable",
            "dead-letter:IntakeFailed:delivery 7 of 3 failed: InvalidOperationException: engine unreachable"], rig.Settle.Calls);
        Assert.Equal(2, rig.DeadLettered.Count(d => d == (TelemetryMessageHandlerQueue, MessageSettler.IntakeFailed)));
    }

    const string TelemetryMessageHandlerQueue = Cordon.Behaviour.TelemetryMessageHandler.Queue;

    [Fact]
    public async Task The_pause_ends_ten_seconds_before_the_message_lock_does()
    {
        await using var rig = new Rig();
        DateTimeOffset now = DateTimeOffset.UtcNow;

        // Delivery 5 would pause 25 s; its lock has about 20 s left, so the pause ends 10 s before it (±1 s of clock between lines).
        await rig.Settler.CompleteAfterAsync(Delivery(Sample, 5, lockedUntil: now.AddSeconds(20)), rig.Settle, AlertMessageHandler.Queue, Unreachable, default);
        TimeSpan pause = Assert.Single(rig.Clock.Waits);
        Assert.InRange(pause, TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(10));

        // A lock already (nearly) lapsed: abandoned at once.
        var late = new RecordingSettlement();
        await rig.Settler.CompleteAfterAsync(Delivery(Sample, 5, lockedUntil: now.AddSeconds(5)), late, AlertMessageHandler.Queue, Unreachable, default);
        Assert.Equal(["abandon"], late.Calls);
    }

    [Fact]
    public async Task A_host_stopping_during_the_pause_hands_the_message_back_at_once()
    {
        await using var rig = new Rig();
        using var stopping = new CancellationTokenSource();

        Settlement result = await rig.Settler.CompleteAfterAsync(Delivery(Sample, 1), rig.Settle, AlertMessageHandler.Queue,
            async () => { await stopping.CancelAsync(); throw new InvalidOperationException("engine unreachable"); }, stopping.Token);

        Assert.Equal(Settlement.Abandoned, result);
        Assert.Equal(["abandon"], rig.Settle.Calls);
    }

    [Fact]
    public void By_default_ten_deliveries_span_195_seconds_of_pauses_and_each_pause_fits_well_inside_the_one_minute_lock()
    {
        var o = new MessageRedeliveryOptions();

        Assert.Empty(o.Validate());
        Assert.Equal(10, o.MaxDeliveryCount);
        Assert.Equal(TimeSpan.FromSeconds(195), o.TotalRetryDelay()); // 5+10+15+20+25+30+30+30+30
        Assert.True(o.RetryDelayCap + MessageSettler.LockMargin < MessageRedeliveryOptions.QueueLockDuration);
        Assert.NotEmpty(new MessageRedeliveryOptions { RetryDelayCap = TimeSpan.FromSeconds(50) }.Validate());
        Assert.NotEmpty(new MessageRedeliveryOptions { MaxDeliveryCount = 0 }.Validate());
    }

    [Fact]
    public async Task An_unusable_setting_stops_start_up()
    {
        var config = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Cordon:ServiceBus:RetryDelayCap"] = "00:02:00" }).Build();
        await using var rig = new Rig(s => s.AddSingleton<IConfiguration>(config));

        var problem = Assert.Throws<OptionsValidationException>(() => rig.Services.GetRequiredService<IOptions<MessageRedeliveryOptions>>().Value);
        Assert.Contains("Cordon:ServiceBus:RetryDelayCap", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_alert_with_the_engine_unreachable_waits_before_each_abandon_and_is_dead_lettered_with_its_reason_on_the_tenth_delivery()
    {
        await using var rig = new Rig(engine: true);
        var handler = rig.Services.GetRequiredService<AlertMessageHandler>();
        DurableTaskClient client = rig.Services.GetRequiredService<DurableTaskClient>();
        string id = Guid.NewGuid().ToString();

        for (int delivery = 1; delivery <= 10; delivery++)
        {
            ServiceBusReceivedMessage message = ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString(Sample), messageId: id, deliveryCount: delivery);
            await handler.HandleAsync(message, rig.Settle, client, default);
        }

        Assert.Equal(["wait 5s", "abandon", "wait 10s", "abandon", "wait 15s", "abandon", "wait 20s", "abandon", "wait 25s", "abandon",
            "wait 30s", "abandon", "wait 30s", "abandon", "wait 30s", "abandon", "wait 30s", "abandon"], rig.Settle.Calls.Take(18));
        Assert.StartsWith("dead-letter:IntakeFailed:delivery 10 of 10 failed: ", rig.Settle.Calls[18], StringComparison.Ordinal);
        Assert.Equal(19, rig.Settle.Calls.Count);
        Assert.Equal([(AlertMessageHandler.Queue, MessageSettler.IntakeFailed)], rig.DeadLettered);
    }

    [Fact]
    public async Task A_valid_telemetry_batch_with_the_engine_unreachable_is_settled_the_same_way()
    {
        await using var rig = new Rig(s => s.AddCordonBehaviour(new ConfigurationBuilder().Build()), engine: true);
        var handler = rig.Services.GetRequiredService<Cordon.Behaviour.TelemetryMessageHandler>();
        DurableTaskClient client = rig.Services.GetRequiredService<DurableTaskClient>();
        string harvest = File.ReadAllText(Repo.Path("samples/telemetry/harvest.json"));

        Assert.Equal(Settlement.Abandoned, await handler.HandleAsync(Delivery(harvest, 3), rig.Settle, client, default));
        Assert.Equal(Settlement.DeadLettered, await handler.HandleAsync(Delivery(harvest, 10), rig.Settle, client, default));

        Assert.Equal(["wait 15s", "abandon"], rig.Settle.Calls.Take(2));
        Assert.StartsWith("dead-letter:IntakeFailed:delivery 10 of 10 failed: ", rig.Settle.Calls[2], StringComparison.Ordinal);
        Assert.Equal([(TelemetryMessageHandlerQueue, MessageSettler.IntakeFailed)], rig.DeadLettered);
    }

    [Fact]
    public async Task Dead_lettered_bad_input_is_counted_by_queue_and_reason()
    {
        await using var rig = new Rig(engine: true);
        var handler = rig.Services.GetRequiredService<AlertMessageHandler>();

        Settlement result = await handler.HandleAsync(Delivery("{}", 1), rig.Settle, rig.Services.GetRequiredService<DurableTaskClient>(), default);

        Assert.Equal(Settlement.DeadLettered, result);
        Assert.Equal([(AlertMessageHandler.Queue, AlertMessageHandler.InvalidAlert)], rig.DeadLettered);
    }
}
