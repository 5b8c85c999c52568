// The host functions of the sandbox benchmarks: one cheap JSON echo.
export const createHostFunctions = () => ({ echo_host: (input) => input });
