await Console.Error.WriteLineAsync("Unhandled exception: the configuration value 'Crash:Reason' says this service cannot start.");
return 3;
