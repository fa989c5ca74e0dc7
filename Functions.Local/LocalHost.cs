using Cordon.Access;
using Cordon.Intake;
using Cordon.Notification;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Cordon.Alerts;
using Cordon.Approvals;
using Cordon.Behaviour;
using Cordon.World;
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
using Microsoft.Extensions.Diagnostics.HealthChecks;
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

    /// <summary>
    /// Builder options for the local host and its sidecar: settings are read once (live configuration has its own
    /// store and watcher), so no appsettings file is watched. ASP.NET's default watches the content root and every folder
    /// under it: for the sidecar that was the working directory, the repository root from the README (2,384 folders
    /// with node_modules, walked at every start), and every incident folder of a data folder under it (.cordon).
    /// </summary>
    public static WebApplicationOptions Unwatched => new() { Args = ["--hostBuilder:reloadConfigOnChange=false"], ContentRootPath = AppContext.BaseDirectory };

    public static async Task<LocalHost> StartAsync(LocalSettings settings, Action<IServiceCollection>? configure = null)
    {
        System.IO.Directory.CreateDirectory(settings.DataDir);

        WebApplicationBuilder builder = WebApplication.CreateBuilder(Unwatched);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(settings.Quiet ? LogLevel.Error : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Grpc", LogLevel.Warning).AddFilter("DurableTask", LogLevel.Warning);
        // Once the host stops, the worker's in-flight steps find their channel and services disposed and the
        // Durable Task libraries log each with a stack trace: shutdown noise, not failures (a step that did not
        // complete is re-run by the store), so those categories go quiet from then on.
        var stopping = new StrongBox<bool>();
        builder.Logging.AddFilter("Microsoft.DurableTask", level => level >= (settings.Quiet ? LogLevel.Error : LogLevel.Warning) && !stopping.Value);
        if (settings.Quiet)
        {
            // Quiet hosts (tests, bench) hear about failures from their callers: a start-up failure is thrown to the
            // one who started the host, and a connector's last failed attempt fails its step, which the incident
            // records and shows. Logging each again with its stack trace only buries real problems.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None).AddFilter("Polly", LogLevel.None);
        }

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
            // The roster follows the store too (memory by default); the simulated directory's groups sync every minute.
            ["Cordon:Roster:Store"] = settings.Store == StoreKind.Azurite ? "table" : "memory",
            ["Cordon:Roster:TableConnection"] = settings.Store == StoreKind.Azurite ? settings.StorageConnectionString : null,
            ["Cordon:Roster:SyncInterval"] = builder.Configuration["Cordon:Roster:SyncInterval"] ?? "00:01:00",
            ["Cordon:Telemetry:Console"] = settings.TelemetryConsole ? "true" : builder.Configuration["Cordon:Telemetry:Console"],
            ["Cordon:Retention:ClosedIncidentHistory"] = settings.HistoryRetention?.ToString("c", System.Globalization.CultureInfo.InvariantCulture) ?? builder.Configuration["Cordon:Retention:ClosedIncidentHistory"],
        };
        // A setting not given stays absent: a null value would bind as the type's default (a zero retention purged
        // every closed incident a minute after start), not leave the option's own default.
        builder.Configuration.AddInMemoryCollection(config.Where(kv => kv.Value is not null));
        // Loopback host names only (any port): a DNS-rebound name would let a web page read /api/outbox, which
        // holds live approval links. ASP.NET's host filtering answers any other Host with 400.
        builder.Configuration["AllowedHosts"] = "localhost;*.localhost;127.0.0.1;[::1]";

        var intakeInFlight = new Cordon.Intake.IntakeInFlight(); // the backend's follow-up work yields to it
        EmbeddedBackend backend = await EmbeddedBackend.StartAsync(settings, intakeInFlight);
        IServiceCollection services = builder.Services;
        services.AddSingleton(intakeInFlight);
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
        services.AddSingleton<Cordon.Roster.IGroupMembersDelta, SimulatedDirectoryGroups>(); // sites naming a group sync from the simulated directory
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
        services.AddTransient<HealthApi>();
        services.AddHealthChecks()
            .AddCheck("storage", new LocalStorageHealthCheck(settings), timeout: TimeSpan.FromSeconds(10))
            .AddCheck("directory", () => HealthCheckResult.Healthy("simulated directory"))
            .AddCheck("mail", () => HealthCheckResult.Healthy("local outbox"));
        services.AddMvcCore();
        services.AddDurableTaskWorker(b =>
        {
            b.UseGrpc(backend.Address);
            b.AddTasks(r => r.AddCordonTasks());
            b.Configure(o => o.Concurrency.MaximumConcurrentActivityWorkItems = Environment.ProcessorCount * 16);
        });
        services.AddDurableTaskClient(b => b.UseGrpc(backend.Address));
        services.AddHostedService<ClosedIncidentPurgeService>();
        services.AddHostedService<RosterSyncService>();
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
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            stopping.Value = true;
            backend.WorkerStopping();
        });
        app.Use(LoopbackOnly);
        app.Use(SameSiteOnly);
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

    /// <summary>A route of the Functions host as this host serves it: under /api, like the Functions host's route prefix.</summary>
    static string Api(string route) => "/api/" + route;

    static void MapRoutes(WebApplication app)
    {
        app.MapPost(Api(SubmitAlert.Route), Handle<SubmitAlert>((ctx, f, c) => f.Run(ctx.Request, c)));
        app.MapPost(Api(SubmitTelemetry.Route), Handle<SubmitTelemetry>((ctx, f, c) => f.Run(ctx.Request, c)));
        app.MapGet(Api(IncidentsApi.ListRoute), Handle<IncidentsApi>((ctx, f, c) => f.List(ctx.Request, c)));
        app.MapGet(Api(IncidentsApi.ItemRoute), Handle<IncidentsApi>((ctx, f, c) => f.Get(ctx.Request, c, Route(ctx, "id"))));
        app.MapPost(Api(IncidentsApi.ActionsRoute), Handle<IncidentsApi>((ctx, f, c) => f.Act(ctx.Request, c, Route(ctx, "id"))));
        app.MapGet(Api(EvidenceManifestApi.Route), Handle<EvidenceManifestApi>((ctx, f, c) => f.Get(ctx.Request, c, Route(ctx, "id"))));
        app.MapGet("/", Handle<Dashboard>((ctx, f, c) => f.List(ctx.Request, c)));
        app.MapGet(Api(Dashboard.ListRoute), Handle<Dashboard>((ctx, f, c) => f.List(ctx.Request, c)));
        app.MapGet(Api(Dashboard.IncidentRoute), Handle<Dashboard>((ctx, f, c) => f.Incident(ctx.Request, c, Route(ctx, "id"))));
        app.MapGet(Api(ApprovalsApi.Route), Handle<ApprovalsApi>((ctx, f, c) => f.Show(ctx.Request, c, Route(ctx, "token"))));
        app.MapPost(Api(ApprovalsApi.Route), Handle<ApprovalsApi>((ctx, f, c) => f.Decide(ctx.Request, c, Route(ctx, "token"))));
        app.MapGet(Api(HealthApi.Route), async ctx =>
        {
            IActionResult result = await ctx.RequestServices.GetRequiredService<HealthApi>().Get(ctx.Request);
            await result.ExecuteResultAsync(new ActionContext(ctx, ctx.GetRouteData(), new ActionDescriptor()));
        });
        app.MapGet(Api(OpenApiDocument.Route), () => Results.Content(OpenApiDocument.Json, "application/json; charset=utf-8"));
        app.MapGet("/api/outbox", (Outbox outbox) => Results.Json(outbox.List(), CordonJson.Options));
        app.MapGet("/outbox", (Outbox outbox) => Results.Content(OutboxPage.Render(outbox.List()), "text/html; charset=utf-8"));
        app.MapPost("/sim/clients/{clientId}/session-kill", (string clientId, HttpRequest request, SimulatedClientSystems clients) => clients.KillAsync(clientId, request));
        app.MapGet("/sim/clients/{clientId}/session-kills", (string clientId, SimulatedClientSystems clients) => Results.Json(clients.Kills(clientId), CordonJson.Options));
    }

    static string Route(HttpContext ctx, string name) => ctx.GetRouteValue(name)?.ToString() ?? "";

    /// <summary>Serves a Functions-style method (HttpRequest + DurableTaskClient → IActionResult) on Kestrel.</summary>
    static RequestDelegate Handle<TFunction>(Func<HttpContext, TFunction, DurableTaskClient, Task<IActionResult>> call)
        where TFunction : notnull => async ctx =>
    {
        IActionResult result;
        try
        {
            result = await call(ctx, ctx.RequestServices.GetRequiredService<TFunction>(), ctx.RequestServices.GetRequiredService<DurableTaskClient>());
        }
        catch (Exception ex) when (StoreUnavailable.Handles(ctx, ex))
        {
            // What the Functions host's middleware (AnswerStoreUnavailable) does in Azure.
            if (!await StoreUnavailable.TryAnswerAsync(ctx, ex, ctx.RequestServices.GetRequiredService<ILogger<LocalHost>>(), ctx.Request.Path))
            {
                throw;
            }

            return;
        }

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

    /// <summary>
    /// Another web site's page can make the browser post to this host (a "simple" request: no preflight,
    /// e.g. a no-cors text/plain POST to /api/alerts). Browsers label such requests with Origin and
    /// Sec-Fetch-Site; a state-changing request from another site is refused, and the JSON APIs accept
    /// JSON only. Same-origin posts (the approval page, the dashboard) and non-browser clients pass.
    /// </summary>
    static Task SameSiteOnly(HttpContext ctx, Func<Task> next)
    {
        HttpRequest request = ctx.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return next();
        }

        string? site = request.Headers["Sec-Fetch-Site"].FirstOrDefault();
        string? origin = request.Headers.Origin.FirstOrDefault();
        bool crossSite = site is not null
            ? site is not ("same-origin" or "none")
            : origin is not null && !(Uri.TryCreate(origin, UriKind.Absolute, out Uri? o) && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
        if (crossSite)
        {
            ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
            return ctx.Response.WriteAsync($"The local host refuses requests from other sites ({site ?? origin}).");
        }

        if (request.Path.StartsWithSegments(Api(SubmitAlert.Route)) || request.Path.StartsWithSegments(Api(SubmitTelemetry.Route)))
        {
            if (!request.HasJsonContentType())
            {
                ctx.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                return ctx.Response.WriteAsync("Send application/json: this API accepts JSON only.");
            }
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
