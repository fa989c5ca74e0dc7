using System.Net;
using System.Security.Cryptography;
using Cordon.Alerts;
using Cordon.Approvals;
using Cordon.Behaviour;
using Cordon.Connectors;
using Cordon.Evidence;
using Cordon.Incidents;
using Cordon.Local.Connectors;
using Cordon.Monitoring;
using Cordon.Offboarding;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Options;

namespace Cordon.Local;

/// <summary>
/// Cordon on one machine: the same HTTP functions, orchestrations and activities as the Functions app,
/// served by Kestrel, with the embedded Durable Task backend and the local connectors.
/// </summary>
public sealed class LocalHost : IAsyncDisposable
{
    LocalHost(WebApplication app, EmbeddedBackend backend)
    {
        App = app;
        Backend = backend;
    }

    public WebApplication App { get; }

    public EmbeddedBackend Backend { get; }

    public IServiceProvider Services => App.Services;

    public Uri BaseAddress => new(App.Urls.First());

    public DurableTaskClient Client => Services.GetRequiredService<DurableTaskClient>();

    public SimulatedDirectory Directory => Services.GetRequiredService<SimulatedDirectory>();

    public Outbox Outbox => Services.GetRequiredService<Outbox>();

    public static async Task<LocalHost> StartAsync(LocalSettings settings, Action<IServiceCollection>? configure = null)
    {
        System.IO.Directory.CreateDirectory(settings.DataDir);

        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(settings.Quiet ? LogLevel.Error : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning).AddFilter("DurableTask", LogLevel.Warning);
        builder.WebHost.UseUrls(settings.Urls);

        var config = new Dictionary<string, string?>
        {
            ["Cordon:WorldFile"] = Path.GetFullPath(settings.WorldPath),
            ["Cordon:PolicyFile"] = settings.PolicyPath is null ? null : Path.GetFullPath(settings.PolicyPath),
            ["Cordon:Approvals:SigningKey"] = builder.Configuration["Cordon:Approvals:SigningKey"] ?? LocalKey(settings.DataDir, "approval-signing.key"),
            ["Cordon:Webhooks:SigningKey"] = builder.Configuration["Cordon:Webhooks:SigningKey"] ?? LocalKey(settings.DataDir, "webhook-signing.key"),
            // Behaviour state follows the store: Azure Table Storage on Azurite with --store azurite.
            ["Cordon:Behaviour:Store"] = settings.Store == StoreKind.Azurite ? "table" : "memory",
            ["Cordon:Behaviour:TableConnection"] = settings.Store == StoreKind.Azurite ? settings.StorageConnectionString : null,
            ["Cordon:Telemetry:Console"] = settings.TelemetryConsole ? "true" : builder.Configuration["Cordon:Telemetry:Console"],
        };
        builder.Configuration.AddInMemoryCollection(config);

        EmbeddedBackend backend = await EmbeddedBackend.StartAsync(settings);
        IServiceCollection services = builder.Services;
        services.AddCordonWorkflow(builder.Configuration);
        services.AddCordonBehaviour(builder.Configuration);
        // This host stands in for App Service Authentication (LocalSignIn): its principal header can be believed.
        services.Configure<Cordon.Operators.OperatorSignInOptions>(o => o.TrustPrincipalHeader = true);
        services.AddOptions<ApprovalOptions>().PostConfigure<IServer>((o, server) =>
            o.BaseUrl = settings.BaseUrl ?? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? settings.Urls.Split(';')[0]);
        // Relative webhook URLs in the world ("/sim/clients/{id}/session-kill") reach this host's simulated client systems.
        services.AddHttpClient(SignedWebhook.ClientName).ConfigureHttpClient((sp, c) =>
            c.BaseAddress ??= new Uri(sp.GetRequiredService<IOptions<ApprovalOptions>>().Value.BaseUrl));
        services.AddSingleton(sp => new SimulatedDirectory(sp.GetRequiredService<IOptions<WorldOptions>>().Value.World,
            Path.Combine(settings.DataDir, "directory.json"), sp.GetRequiredService<TimeProvider>(), settings.DirectoryLatency));
        services.AddSingleton<IAccessControl>(sp => sp.GetRequiredService<SimulatedDirectory>());
        services.AddSingleton(sp => new Outbox(Path.Combine(settings.DataDir, "outbox"), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IEmailSender>(sp => sp.GetRequiredService<Outbox>());
        services.AddSingleton<IEvidenceStore>(sp => settings.EvidenceStore(sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ISiteRegister>(_ => new FileSiteRegister(Path.Combine(settings.DataDir, "site-register.json")));
        services.AddSingleton<SimulatedClientSystems>();
        services.AddTransient<SubmitAlert>();
        services.AddTransient<SubmitTelemetry>();
        services.AddTransient<IncidentsApi>();
        services.AddTransient<ApprovalsApi>();
        services.AddTransient<Dashboard>();
        services.AddTransient<EvidenceManifestApi>();
        services.AddMvcCore();
        services.AddDurableTaskWorker(b =>
        {
            b.UseGrpc(backend.Address);
            b.AddTasks(r => r.AddCordonTasks());
            b.Configure(o => o.Concurrency.MaximumConcurrentActivityWorkItems = Environment.ProcessorCount * 16);
        });
        services.AddDurableTaskClient(b => b.UseGrpc(backend.Address));
        if (settings.ServiceBusConnection is not null)
        {
            string connection = settings.ServiceBusConnection;
            services.AddHostedService(sp => ServiceBusQueueListener.ForAlerts(connection, settings.ServiceBusQueue,
                sp.GetRequiredService<AlertMessageHandler>(), sp.GetRequiredService<DurableTaskClient>(), sp.GetRequiredService<ILogger<ServiceBusQueueListener>>()));
            services.AddHostedService(sp => ServiceBusQueueListener.ForTelemetry(connection, settings.TelemetryQueue,
                sp.GetRequiredService<Cordon.Behaviour.TelemetryMessageHandler>(), sp.GetRequiredService<DurableTaskClient>(), sp.GetRequiredService<ILogger<ServiceBusQueueListener>>()));
        }

        configure?.Invoke(services);

        WebApplication app = builder.Build();
        app.Use(LoopbackOnly);
        app.Use(LocalSignIn.Principal);
        MapRoutes(app);
        LocalSignIn.Map(app);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await backend.DisposeAsync();
            throw;
        }

        return new LocalHost(app, backend);
    }

    static void MapRoutes(WebApplication app)
    {
        app.MapPost("/api/alerts", Handle<SubmitAlert>((ctx, f, c) => f.Run(ctx.Request, c)));
        app.MapPost("/api/telemetry", Handle<SubmitTelemetry>((ctx, f, c) => f.Run(ctx.Request, c)));
        app.MapGet("/api/incidents", Handle<IncidentsApi>((ctx, f, c) => f.List(ctx.Request, c)));
        app.MapGet("/api/incidents/{id}", Handle<IncidentsApi>((ctx, f, c) => f.Get(ctx.Request, c, Route(ctx, "id"))));
        app.MapPost("/api/incidents/{id}/actions", Handle<IncidentsApi>((ctx, f, c) => f.Act(ctx.Request, c, Route(ctx, "id"))));
        app.MapGet("/api/incidents/{id}/evidence", Handle<EvidenceManifestApi>((ctx, f, _) => f.Get(ctx.Request, Route(ctx, "id"))));
        app.MapGet("/", Handle<Dashboard>((ctx, f, c) => f.List(ctx.Request, c)));
        app.MapGet("/api/dashboard", Handle<Dashboard>((ctx, f, c) => f.List(ctx.Request, c)));
        app.MapGet("/api/dashboard/incidents/{id}", Handle<Dashboard>((ctx, f, c) => f.Incident(ctx.Request, c, Route(ctx, "id"))));
        app.MapGet("/api/approvals/{token}", Handle<ApprovalsApi>((ctx, f, c) => f.Show(ctx.Request, c, Route(ctx, "token"))));
        app.MapPost("/api/approvals/{token}", Handle<ApprovalsApi>((ctx, f, c) => f.Decide(ctx.Request, c, Route(ctx, "token"))));
        app.MapGet("/api/openapi.json", () => Results.Content(OpenApiDocument.Json, "application/json; charset=utf-8"));
        app.MapGet("/api/outbox", (Outbox outbox) => Results.Json(outbox.List(), World.Json));
        app.MapGet("/outbox", (Outbox outbox) => Results.Content(OutboxPage.Render(outbox.List()), "text/html; charset=utf-8"));
        app.MapPost("/sim/clients/{clientId}/session-kill", (string clientId, HttpRequest request, SimulatedClientSystems clients) => clients.KillAsync(clientId, request));
        app.MapGet("/sim/clients/{clientId}/session-kills", (string clientId, SimulatedClientSystems clients) => Results.Json(clients.Kills(clientId), World.Json));
    }

    static string Route(HttpContext ctx, string name) => ctx.GetRouteValue(name)?.ToString() ?? "";

    /// <summary>Serves a Functions-style method (HttpRequest + DurableTaskClient → IActionResult) on Kestrel.</summary>
    static RequestDelegate Handle<TFunction>(Func<HttpContext, TFunction, DurableTaskClient, Task<IActionResult>> call)
        where TFunction : notnull => async ctx =>
    {
        IActionResult result = await call(ctx, ctx.RequestServices.GetRequiredService<TFunction>(), ctx.RequestServices.GetRequiredService<DurableTaskClient>());
        await result.ExecuteResultAsync(new ActionContext(ctx, ctx.GetRouteData(), new ActionDescriptor()));
    };

    /// <summary>Locally there is no function key: the host answers loopback callers only.</summary>
    static Task LoopbackOnly(HttpContext ctx, Func<Task> next)
    {
        IPAddress? remote = ctx.Connection.RemoteIpAddress;
        if (remote is not null && !IPAddress.IsLoopback(remote))
        {
            ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
            return ctx.Response.WriteAsync("The local host answers loopback callers only.");
        }

        return next();
    }

    /// <summary>A random key kept under the data directory, so links stay valid across restarts of the local host.</summary>
    static string LocalKey(string dataDir, string name)
    {
        string path = Path.Combine(dataDir, name);
        if (!File.Exists(path))
        {
            File.WriteAllText(path, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        return File.ReadAllText(path).Trim();
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
