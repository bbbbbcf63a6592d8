import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useState } from 'react';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError } from './api/client';
import { FEATURES, HOME } from './features';
import { LoginPage } from './session/login-page';
import { RequireRole } from './session/require-role';
import { SessionProvider, useSession } from './session/session-context';
import { NotFound } from './shell/not-found';
import { Shell } from './shell/shell';

function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx will not change by asking again; network trouble and 5xx may.
        retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}

/** The console's front door: the home page, or straight to the login form without a detour. */
function Home() {
  const { session } = useSession();
  return <Navigate to={session ? HOME : '/login'} replace />;
}

export function App() {
  const [queryClient] = useState(newQueryClient);
  return (
    // The theme's CSS variables and global classes come from the static stylesheets (see main.tsx):
    // generated at run time they would be inline <style> elements, which the console's CSP refuses.
    <MantineProvider withCssVariables={false} withGlobalClasses={false} defaultColorScheme="light">
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <BrowserRouter>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route element={<Shell />}>
                <Route index element={<Home />} />
                {FEATURES.map((f) => (
                  <Route key={f.path} path={f.path} element={<RequireRole role={f.role}>{f.element}</RequireRole>} />
                ))}
                <Route path="*" element={<NotFound />} />
              </Route>
            </Routes>
          </BrowserRouter>
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
