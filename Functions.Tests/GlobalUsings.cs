// Namespaces most test files use: xunit, JSON and HTTP, options, and the parts of Cordon the tests drive most (the
// world model, the incident workflow, alerts, approvals, the policy and the local host).
global using System.Net;
global using System.Net.Http.Json;
global using System.Text;
global using System.Text.Json;
global using System.Text.Json.Nodes;
global using Cordon.Alerts;
global using Cordon.Approvals;
global using Cordon.Incidents;
global using Cordon.Local;
global using Cordon.Policy;
global using Cordon.World;
global using Microsoft.Extensions.DependencyInjection;
global using Microsoft.Extensions.Options;
global using Xunit;
