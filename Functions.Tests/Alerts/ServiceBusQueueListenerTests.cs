using Cordon.Configuration;
using Azure.Messaging.ServiceBus;
using Cordon.Intake;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Cordon.Tests.Alerts;

/// <summary>
/// The one-machine Service Bus intake: the processor's message callback driven with
/// ProcessMessageEventArgs over ServiceBusModelFactory messages and a receiver that records settlement.
/// </summary>
public sealed class ServiceBusQueueListenerTests
{
    /// <summary>Stands in for the queue's receiver: records how each message was settled.</summary>
    sealed class RecordingReceiver : ServiceBusReceiver
    {
        public List<string> Settled { get; } = [];

        public override string EntityPath => "risk-alerts";

        public override Task CompleteMessageAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken = default)
        {
            Settled.Add($"complete:{message.MessageId}");
            return Task.CompletedTask;
        }

        public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, string deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
        {
            Settled.Add($"dead-letter:{message.MessageId}:{deadLetterReason}:{deadLetterErrorDescription}");
            return Task.CompletedTask;
        }

        public override Task DeadLetterMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify, string deadLetterReason, string? deadLetterErrorDescription = null, CancellationToken cancellationToken = default)
        {
            Settled.Add($"dead-letter:{message.MessageId}:{deadLetterReason}:{deadLetterErrorDescription}");
            return Task.CompletedTask;
        }

        public override Task AbandonMessageAsync(ServiceBusReceivedMessage message, IDictionary<string, object>? propertiesToModify = null, CancellationToken cancellationToken = default)
        {
            Settled.Add($"abandon:{message.MessageId}");
            return Task.CompletedTask;
        }
    }

    static ServiceBusReceivedMessage Message(string id, string body) =>
        ServiceBusModelFactory.ServiceBusReceivedMessage(BinaryData.FromString(body), messageId: id, deliveryCount: 1, lockTokenGuid: Guid.NewGuid());

    static string Sample => File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json"));

    const string Connection = "Endpoint=sb://unused.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=a2V5";

    static ServiceBusQueueListener Listener(IServiceProvider services) =>
        ServiceBusQueueListener.ForAlerts(Connection, "risk-alerts", services.GetRequiredService<AlertMessageHandler>(),
            services.GetRequiredService<DurableTaskClient>(), NullLogger.Instance);

    static ServiceBusQueueListener TelemetryListener(IServiceProvider services) =>
        ServiceBusQueueListener.ForTelemetry(Connection, "access-events", services.GetRequiredService<Cordon.Behaviour.TelemetryMessageHandler>(),
            services.GetRequiredService<DurableTaskClient>(), NullLogger.Instance);

    [Fact]
    public async Task Good_alert_is_completed_and_starts_an_incident()
    {
        await using TestHost host = await TestHost.StartAsync();
        var receiver = new RecordingReceiver();

        await Listener(host.Host.Services).OnMessageAsync(new ProcessMessageEventArgs(Message("m-1", Sample), receiver, default));

        Assert.Equal(["complete:m-1"], receiver.Settled);
        Assert.Single((await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!);
        // The row carries the subject once the incident's first episode has published its status (follow-up work
        // yields to intake, so that episode comes just after the completion, not during it).
        IncidentRow incident = Assert.Single(await Eventually.Until(async () => (await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!,
            rows => rows.Count == 1 && rows[0].Subject.Length > 0, TimeSpan.FromSeconds(30), "the incident's row to show its subject"));
        Assert.Equal("ravi.k@vendor.example", incident.Subject);
    }

    [Fact]
    public async Task Bad_alert_is_dead_lettered_with_its_reason_and_starts_nothing()
    {
        await using TestHost host = await TestHost.StartAsync();
        var receiver = new RecordingReceiver();

        await Listener(host.Host.Services).OnMessageAsync(new ProcessMessageEventArgs(Message("m-2", Sample.Replace("\"riskScore\": 94", "\"riskScore\": 140", StringComparison.Ordinal)), receiver, default));

        string settled = Assert.Single(receiver.Settled);
        Assert.StartsWith("dead-letter:m-2:InvalidAlert:riskScore", settled, StringComparison.Ordinal);
        Assert.Empty((await host.Http.GetFromJsonAsync<List<IncidentRow>>("/api/incidents"))!);
    }

    [Fact]
    public async Task Alert_is_abandoned_for_redelivery_after_a_pause_when_the_engine_is_unavailable()
    {
        var clock = new ImmediateTimeProvider();
        var collection = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(clock).AddCordonAlerts()
            .AddCordonConfiguration(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        collection.AddDurableTaskClient(b => b.UseGrpc("http://127.0.0.1:9"));
        await using ServiceProvider services = collection.BuildServiceProvider();
        var receiver = new RecordingReceiver();

        await Listener(services).OnMessageAsync(new ProcessMessageEventArgs(Message("m-3", Sample), receiver, default));

        Assert.Equal(["abandon:m-3"], receiver.Settled);
        Assert.Equal([TimeSpan.FromSeconds(5)], clock.Waits);
    }

    [Fact]
    public async Task Telemetry_batch_on_the_access_events_queue_is_completed_and_a_bad_one_dead_lettered()
    {
        await using TestHost host = await TestHost.StartAsync();
        var receiver = new RecordingReceiver();
        string batch = File.ReadAllText(Repo.Path("samples/telemetry/harvest.json"));

        await TelemetryListener(host.Host.Services).OnMessageAsync(new ProcessMessageEventArgs(Message("t-1", batch), receiver, default));
        await TelemetryListener(host.Host.Services).OnMessageAsync(new ProcessMessageEventArgs(Message("t-2", "[{\"schemaVersion\": \"9\"}]"), receiver, default));

        Assert.Equal("complete:t-1", receiver.Settled[0]);
        Assert.StartsWith("dead-letter:t-2:InvalidTelemetry:", receiver.Settled[1], StringComparison.Ordinal);
        Assert.Equal(2, receiver.Settled.Count);
    }
}
