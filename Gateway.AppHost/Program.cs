Console.WriteLine("Gateway.AppHost: launcher not built yet.");
