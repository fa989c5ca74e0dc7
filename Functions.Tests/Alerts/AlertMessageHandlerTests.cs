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
    public async Task Message_is_abandoned_for_redelivery_when_the_engine_is_unavailable()
    {
        var collection = new ServiceCollection().AddLogging().AddCordonAlerts()
            .AddCordonConfiguration(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        collection.AddDurableTaskClient(b => b.UseGrpc("http://127.0.0.1:9"));
        await using ServiceProvider services = collection.BuildServiceProvider();
        var handler = services.GetRequiredService<AlertMessageHandler>();
        var settle = new RecordingSettlement();

        Settlement result = await handler.HandleAsync(RecordingSettlement.FirstDelivery(Sample), settle, services.GetRequiredService<DurableTaskClient>(), default);

        Assert.Equal(Settlement.Abandoned, result);
        Assert.Equal(["abandon"], settle.Calls);
    }
}
