using Azure.Core.Amqp;
using Azure.Messaging.ServiceBus;
using Cordon.Configuration;
using Cordon.Intake;
using Microsoft.DurableTask.Client;

namespace Cordon.Tests.Alerts;

/// <summary>The Service Bus path, with messages built by ServiceBusModelFactory and a recording settlement.</summary>
public sealed class AlertMessageHandlerTests
{
    static string Sample => File.ReadAllText(Repo.Path("samples/alerts/critical-bribery.json"));

    [Fact]
    public async Task Good_message_starts_an_incident_and_is_completed()
    {
        await using TestHost host = await TestHost.StartAsync();
        var handler = host.Host.Services.GetRequiredService<AlertMessageHandler>();
        var settle = new RecordingSettlement();

        Settlement result = await handler.HandleAsync(RecordingSettlement.FirstDelivery(Sample), settle, host.Host.Client, default);

        Assert.Equal(Settlement.Completed, result);
        Assert.Equal(["complete"], settle.Calls);
        Assert.Single((await host.Http.GetFromJsonAsync<List<Cordon.Incidents.IncidentRow>>("/api/incidents"))!);

        var again = new RecordingSettlement();
        Assert.Equal(Settlement.Completed, await handler.HandleAsync(RecordingSettlement.FirstDelivery(Sample), again, host.Host.Client, default));
        Assert.Single((await host.Http.GetFromJsonAsync<List<Cordon.Incidents.IncidentRow>>("/api/incidents"))!);
    }

    static ServiceBusReceivedMessage AmqpMessage(AmqpMessageBody body) =>
        ServiceBusReceivedMessage.FromAmqpMessage(new AmqpAnnotatedMessage(body), BinaryData.FromBytes(Guid.NewGuid().ToByteArray()));

    /// <summary>
    /// Producers on plain AMQP send the JSON as a string value, not a data section. The SDK's Body throws for it: the handler
    /// threw before settling and the message came back until dead-lettered with no reason (found by an attack). A string
    /// value is read as the alert; a body of another shape is dead-lettered with a reason naming it.
    /// </summary>
    [Fact]
    public async Task An_alert_sent_as_an_amqp_string_value_is_taken_and_a_sequence_body_is_dead_lettered_with_its_reason()
    {
        await using TestHost host = await TestHost.StartAsync();
        var handler = host.Host.Services.GetRequiredService<AlertMessageHandler>();

        var asString = new RecordingSettlement();
        Assert.Equal(Settlement.Completed, await handler.HandleAsync(AmqpMessage(AmqpMessageBody.FromValue(Sample)), asString, host.Host.Client, default));
        Assert.Single((await host.Http.GetFromJsonAsync<List<Cordon.Incidents.IncidentRow>>("/api/incidents"))!);

        var asSequence = new RecordingSettlement();
        Settlement result = await handler.HandleAsync(AmqpMessage(AmqpMessageBody.FromSequence([new List<object> { "x" }])), asSequence, host.Host.Client, default);
        Assert.Equal(Settlement.DeadLettered, result);
        Assert.StartsWith($"dead-letter:{AlertMessageHandler.InvalidAlert}:the message body is an AMQP sequence section", Assert.Single(asSequence.Calls), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_message_is_dead_lettered_with_its_reasons_and_starts_nothing()
    {
        await using TestHost host = await TestHost.StartAsync();
        var handler = host.Host.Services.GetRequiredService<AlertMessageHandler>();
        var settle = new RecordingSettlement();

        Settlement result = await handler.HandleAsync(RecordingSettlement.FirstDelivery(Sample.Replace("\"siteId\": \"fab-pune-1\",", "", StringComparison.Ordinal)), settle, host.Host.Client, default);

        Assert.Equal(Settlement.DeadLettered, result);
        Assert.Equal("dead-letter:InvalidAlert:subject.siteId is required", Assert.Single(settle.Calls));
        Assert.Empty((await host.Http.GetFromJsonAsync<List<Cordon.Incidents.IncidentRow>>("/api/incidents"))!);
    }

    [Fact]
    public async Task Message_is_abandoned_for_redelivery_after_a_pause_when_the_engine_is_unavailable()
    {
        var clock = new ImmediateTimeProvider();
        var collection = new ServiceCollection().AddLogging().AddSingleton<TimeProvider>(clock).AddCordonAlerts()
            .AddCordonConfiguration(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        collection.AddDurableTaskClient(b => b.UseGrpc("http://127.0.0.1:9"));
        await using ServiceProvider services = collection.BuildServiceProvider();
        var handler = services.GetRequiredService<AlertMessageHandler>();
        var settle = new RecordingSettlement();
        clock.Waited = w => settle.Calls.Add($"wait {w.TotalSeconds}s");

        Settlement result = await handler.HandleAsync(RecordingSettlement.FirstDelivery(Sample), settle, services.GetRequiredService<DurableTaskClient>(), default);

        Assert.Equal(Settlement.Abandoned, result);
        Assert.Equal(["wait 5s", "abandon"], settle.Calls); // the pauses and the last delivery: MessageRedeliveryTests
    }
}
